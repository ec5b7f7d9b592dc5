using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class AuthLogSealConfiguration : IEntityTypeConfiguration<AuthLogSeal>
{
    public void Configure(EntityTypeBuilder<AuthLogSeal> builder)
    {
        // No foreign key to firms: a deleted firm's chain must stay verifiable.
        builder.ToTable("auth_log_seals", t =>
        {
            t.HasComment("Signed checkpoints of the audit trail, one hash chain per firm plus the platform's; append-only.");
            t.HasCheckConstraint("ck_auth_log_seals_kind", "kind IN ('rows', 'heartbeat', 'retention')");
        });
        builder.HasKey(s => new { s.ChainId, s.Seq });
        builder.Property(s => s.Kind).HasMaxLength(16);
        builder.Property(s => s.KeyId).HasMaxLength(100);
        builder.Property(s => s.SealedAt).HasDefaultValueSql("now()");
    }
}
