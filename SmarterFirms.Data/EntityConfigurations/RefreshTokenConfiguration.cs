using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> builder)
    {
        builder.ToTable("refresh_tokens", t =>
        {
            t.HasComment("Refresh tokens by SHA-256; used once each, a second use revokes the session.");
            t.HasCheckConstraint("ck_refresh_tokens_token_hash", "octet_length(token_hash) = 32");
        });
        builder.HasOne(r => r.Session).WithMany(s => s.RefreshTokens).HasForeignKey(r => r.SessionId)
            .OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.TokenHash).IsUnique();
        builder.HasIndex(r => r.SessionId);
    }
}
