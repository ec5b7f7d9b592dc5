using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class AuthLogConfiguration : IEntityTypeConfiguration<AuthLog>
{
    public void Configure(EntityTypeBuilder<AuthLog> builder)
    {
        builder.ToTable("auth_logs", t => t.HasComment("Security audit trail of every sign-in and access change; append-only for the API."));

        // Partitioned by month on occurred_at (the phase's SQL), and a partitioned table's key must hold it.
        builder.HasKey(l => new { l.Id, l.OccurredAt });

        // SET NULL everywhere: deleting a user or a firm never blocks on, nor erases, the trail.
        builder.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<User>().WithMany().HasForeignKey(l => l.ActorId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Firm>().WithMany().HasForeignKey(l => l.FirmId).OnDelete(DeleteBehavior.SetNull);

        builder.Property(l => l.IpAddress).HasColumnType("inet");
        builder.Property(l => l.UserAgent).HasMaxLength(512);
        builder.Property(l => l.Details).HasColumnType("jsonb");
        builder.Property(l => l.OccurredAt).HasDefaultValueSql("now()");

        // row_hash and the *_ref commitments: the writer's (AuditWriterHash), or the insert trigger's when it sends none.
        // They are not read back: a RETURNING would need the row to pass the SELECT policy, which a sign-in or
        // registration event (written before anyone is known) does not.
        builder.Property(l => l.RowHash);

        // Keyset paging: (key, occurred_at, id) serves "newest first" for a firm, a user and an event type.
        builder.HasIndex(l => new { l.FirmId, l.OccurredAt, l.Id }).HasDatabaseName("ix_auth_logs_firm_id_occurred_at");
        builder.HasIndex(l => new { l.UserId, l.OccurredAt, l.Id }).HasDatabaseName("ix_auth_logs_user_id_occurred_at");
        builder.HasIndex(l => new { l.EventType, l.OccurredAt, l.Id }).HasDatabaseName("ix_auth_logs_event_type_occurred_at");
        builder.HasIndex(l => l.ActorId);
        // The sealer reads the last seconds of all chains: a block-range index costs the insert path almost nothing.
        builder.HasIndex(l => l.OccurredAt).HasDatabaseName("ix_auth_logs_occurred_at").HasMethod("brin");
    }
}
