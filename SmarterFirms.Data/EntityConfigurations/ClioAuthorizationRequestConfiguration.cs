using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class ClioAuthorizationRequestConfiguration : IEntityTypeConfiguration<ClioAuthorizationRequest>
{
    public void Configure(EntityTypeBuilder<ClioAuthorizationRequest> builder)
    {
        builder.ToTable("clio_authorization_requests", t => t.HasComment("Pending Clio SSO attempts: single use, short-lived."));
        builder.Property(r => r.CodeVerifier).HasMaxLength(128);
        builder.Property(r => r.Region).HasMaxLength(8);
        builder.Property(r => r.ReturnTo).HasMaxLength(2048);
        builder.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(r => r.StateHash).IsUnique();
        builder.HasIndex(r => r.ExpiresAt);
    }
}
