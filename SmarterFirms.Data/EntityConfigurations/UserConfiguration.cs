using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.ToTable("users", t =>
        {
            t.HasComment("Everyone who signs in: law-firm users and consultants.");
            t.HasCheckConstraint("ck_users_firm_membership",
                "(type = 'LAW_FIRM_USER' AND firm_id IS NOT NULL AND role IS NOT NULL) OR (type = 'CONSULTANT' AND firm_id IS NULL AND role IS NULL)");
            t.HasCheckConstraint("ck_users_local_password", "auth_method <> 'LOCAL' OR password_hash IS NOT NULL");
            t.HasCheckConstraint("ck_users_failed_sign_in_count", "failed_sign_in_count >= 0");
        });

        // citext: emails compare case-insensitively in every query and in the unique index.
        builder.Property(u => u.Email).HasColumnType("citext").HasMaxLength(320);
        builder.HasIndex(u => u.Email).IsUnique();
        builder.Property(u => u.Name).HasMaxLength(200);
        builder.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(u => u.UpdatedAt).HasDefaultValueSql("now()");

        // Rows that existed before phase 1 are law-firm users signing in through Clio.
        builder.Property(u => u.Type).HasDefaultValue(UserType.LawFirmUser).HasSentinel((UserType)(-1));
        builder.Property(u => u.AuthMethod).HasDefaultValue(AuthMethod.ClioSso).HasSentinel((AuthMethod)(-1));
        builder.Property(u => u.HasClioConnection).HasDefaultValue(false);
        builder.Property(u => u.Organization).HasMaxLength(200);
        builder.Property(u => u.Bio).HasMaxLength(4000);
        builder.Property(u => u.PasswordHash).HasMaxLength(512);
        builder.Property(u => u.FailedSignInCount).HasDefaultValue(0);

        builder.HasOne(u => u.Firm).WithMany(f => f.Users).HasForeignKey(u => u.FirmId).OnDelete(DeleteBehavior.Cascade);

        // The API's lookups: a firm's users by role, consultants by type.
        builder.HasIndex(u => new { u.FirmId, u.Role });
        builder.HasIndex(u => u.Type);
    }
}
