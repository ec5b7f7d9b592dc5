using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class FirmConfiguration : IEntityTypeConfiguration<Firm>
{
    public void Configure(EntityTypeBuilder<Firm> builder)
    {
        builder.ToTable("firms", t => t.HasComment("A law firm on the platform, one per Clio account."));
        builder.Property(f => f.Name).HasMaxLength(200);
        builder.Property(f => f.CreatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(f => f.ClioAccountId).IsUnique();
    }
}
