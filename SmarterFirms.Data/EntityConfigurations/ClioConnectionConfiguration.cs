using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class ClioConnectionConfiguration : IEntityTypeConfiguration<ClioConnection>
{
    public void Configure(EntityTypeBuilder<ClioConnection> builder)
    {
        builder.ToTable("clio_connections", t => t.HasComment("Law-firm users' Clio links; tokens envelope-encrypted."));
        builder.HasKey(c => c.UserId);
        builder.HasOne(c => c.User).WithOne().HasForeignKey<ClioConnection>(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Firm>().WithMany().HasForeignKey(c => c.FirmId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.Region).HasMaxLength(8);
        builder.Property(c => c.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(c => c.UpdatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(c => c.ClioUserId).IsUnique();
        builder.HasIndex(c => c.FirmId);
    }
}
