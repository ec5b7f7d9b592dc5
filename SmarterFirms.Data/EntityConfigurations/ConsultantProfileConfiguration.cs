using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class ConsultantProfileConfiguration : IEntityTypeConfiguration<ConsultantProfile>
{
    public void Configure(EntityTypeBuilder<ConsultantProfile> builder)
    {
        builder.ToTable("consultant_profiles", t => t.HasComment("A consultant's public profile and referral code; one per consultant user."));
        builder.HasOne(p => p.User).WithOne().HasForeignKey<ConsultantProfile>(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => p.UserId).IsUnique();
        builder.Property(p => p.ReferralCode).HasMaxLength(32);
        builder.HasIndex(p => p.ReferralCode).IsUnique();
        builder.Property(p => p.Specialty).HasMaxLength(100);
        builder.HasIndex(p => p.Specialty);
        builder.Property(p => p.Headline).HasMaxLength(200);
        builder.Property(p => p.Website).HasMaxLength(500);
        builder.Property(p => p.Phone).HasMaxLength(40);
        builder.Property(p => p.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(p => p.UpdatedAt).HasDefaultValueSql("now()");
    }
}
