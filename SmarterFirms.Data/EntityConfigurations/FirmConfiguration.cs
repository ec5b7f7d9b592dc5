using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class FirmConfiguration : IEntityTypeConfiguration<Firm>
{
    public void Configure(EntityTypeBuilder<Firm> builder)
    {
        builder.ToTable("firms", t =>
        {
            t.HasComment("A law firm on the platform, one per Clio account.");
            t.HasCheckConstraint("ck_firms_audit_retention_days", "audit_retention_days >= 365");
        });
        builder.Property(f => f.Name).HasMaxLength(200);
        builder.Property(f => f.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(f => f.AuditRetentionDays).HasDefaultValue(2555);
        builder.Property(f => f.LegalHoldReason).HasMaxLength(1000);
        builder.HasIndex(f => f.ClioAccountId).IsUnique();
    }
}
