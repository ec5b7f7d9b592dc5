using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

#nullable disable

namespace SmarterFirms.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class add_auth_enums_and_user_extensions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_firm_id",
                table: "users");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:access_level", "FULL_ACCESS,LIMITED_ACCESS,READ_ONLY")
                .Annotation("Npgsql:Enum:association_status", "ACTIVE,PENDING,REVOKED")
                .Annotation("Npgsql:Enum:auth_event_type", "ACCESS_DENIED,ACCESS_LEVEL_CHANGED,ACCOUNT_LOCKED,ACCOUNT_UNLOCKED,ASSOCIATION_ACCEPTED,ASSOCIATION_DECLINED,ASSOCIATION_INVITED,ASSOCIATION_REVOKED,CLIO_LINKED,CLIO_SSO_FAILED,PASSWORD_CHANGED,PERMISSION_GRANTED,PERMISSION_REVOKED,REFERRAL_CODE_ROTATED,REGISTERED,SIGNED_OUT,SIGN_IN_FAILED,SIGN_IN_SUCCEEDED,TOKEN_REFRESHED,TOKEN_REUSE_DETECTED")
                .Annotation("Npgsql:Enum:auth_method", "CLIO_SSO,LOCAL")
                .Annotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .Annotation("Npgsql:Enum:user_type", "CONSULTANT,LAW_FIRM_USER")
                .Annotation("Npgsql:PostgresExtension:citext", ",,")
                .OldAnnotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .OldAnnotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.AlterColumn<FirmRole>(
                name: "role",
                table: "users",
                type: "firm_role",
                nullable: true,
                oldClrType: typeof(FirmRole),
                oldType: "firm_role");

            migrationBuilder.AlterColumn<Guid>(
                name: "firm_id",
                table: "users",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<AuthMethod>(
                name: "auth_method",
                table: "users",
                type: "auth_method",
                nullable: false,
                defaultValue: AuthMethod.ClioSso);

            migrationBuilder.AddColumn<string>(
                name: "bio",
                table: "users",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "failed_sign_in_count",
                table: "users",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "has_clio_connection",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_sign_in_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lockout_end",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "organization",
                table: "users",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "password_hash",
                table: "users",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<UserType>(
                name: "type",
                table: "users",
                type: "user_type",
                nullable: false,
                defaultValue: UserType.LawFirmUser);

            migrationBuilder.CreateIndex(
                name: "ix_users_firm_id_role",
                table: "users",
                columns: new[] { "firm_id", "role" });

            migrationBuilder.CreateIndex(
                name: "ix_users_type",
                table: "users",
                column: "type");

            migrationBuilder.AddCheckConstraint(
                name: "ck_users_failed_sign_in_count",
                table: "users",
                sql: "failed_sign_in_count >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "ck_users_firm_membership",
                table: "users",
                sql: "(type = 'LAW_FIRM_USER' AND firm_id IS NOT NULL AND role IS NOT NULL) OR (type = 'CONSULTANT' AND firm_id IS NULL AND role IS NULL)");

            migrationBuilder.AddCheckConstraint(
                name: "ck_users_local_password",
                table: "users",
                sql: "auth_method <> 'LOCAL' OR password_hash IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Consultants cannot exist in the baseline schema (every user has a firm and a role).
            migrationBuilder.Sql("DELETE FROM users WHERE type = 'CONSULTANT';");

            migrationBuilder.DropIndex(
                name: "ix_users_firm_id_role",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_type",
                table: "users");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_failed_sign_in_count",
                table: "users");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_firm_membership",
                table: "users");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_local_password",
                table: "users");

            migrationBuilder.DropColumn(
                name: "auth_method",
                table: "users");

            migrationBuilder.DropColumn(
                name: "bio",
                table: "users");

            migrationBuilder.DropColumn(
                name: "failed_sign_in_count",
                table: "users");

            migrationBuilder.DropColumn(
                name: "has_clio_connection",
                table: "users");

            migrationBuilder.DropColumn(
                name: "last_sign_in_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "lockout_end",
                table: "users");

            migrationBuilder.DropColumn(
                name: "organization",
                table: "users");

            migrationBuilder.DropColumn(
                name: "password_hash",
                table: "users");

            migrationBuilder.DropColumn(
                name: "type",
                table: "users");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .Annotation("Npgsql:PostgresExtension:citext", ",,")
                .OldAnnotation("Npgsql:Enum:access_level", "FULL_ACCESS,LIMITED_ACCESS,READ_ONLY")
                .OldAnnotation("Npgsql:Enum:association_status", "ACTIVE,PENDING,REVOKED")
                .OldAnnotation("Npgsql:Enum:auth_event_type", "ACCESS_DENIED,ACCESS_LEVEL_CHANGED,ACCOUNT_LOCKED,ACCOUNT_UNLOCKED,ASSOCIATION_ACCEPTED,ASSOCIATION_DECLINED,ASSOCIATION_INVITED,ASSOCIATION_REVOKED,CLIO_LINKED,CLIO_SSO_FAILED,PASSWORD_CHANGED,PERMISSION_GRANTED,PERMISSION_REVOKED,REFERRAL_CODE_ROTATED,REGISTERED,SIGNED_OUT,SIGN_IN_FAILED,SIGN_IN_SUCCEEDED,TOKEN_REFRESHED,TOKEN_REUSE_DETECTED")
                .OldAnnotation("Npgsql:Enum:auth_method", "CLIO_SSO,LOCAL")
                .OldAnnotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .OldAnnotation("Npgsql:Enum:user_type", "CONSULTANT,LAW_FIRM_USER")
                .OldAnnotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.AlterColumn<FirmRole>(
                name: "role",
                table: "users",
                type: "firm_role",
                nullable: false,
                oldClrType: typeof(FirmRole),
                oldType: "firm_role",
                oldNullable: true);

            migrationBuilder.AlterColumn<Guid>(
                name: "firm_id",
                table: "users",
                type: "uuid",
                nullable: false,
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_firm_id",
                table: "users",
                column: "firm_id");
        }
    }
}
