using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> builder)
    {
        builder.ToTable("user_sessions", t => t.HasComment("Signed-in sessions; each is one refresh-token family."));
        builder.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.RevokedReason).HasMaxLength(64);
        builder.Property(s => s.UserAgent).HasMaxLength(512);
        builder.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(s => s.UserId);
    }
}

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

internal sealed class ClioAuthorizationRequestConfiguration : IEntityTypeConfiguration<ClioAuthorizationRequest>
{
    public void Configure(EntityTypeBuilder<ClioAuthorizationRequest> builder)
    {
        builder.ToTable("clio_authorization_requests", t => t.HasComment("Pending Clio SSO attempts: single use, short-lived."));
        builder.Property(r => r.CodeVerifier).HasMaxLength(128);
        builder.Property(r => r.Region).HasMaxLength(8);
        builder.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(r => r.StateHash).IsUnique();
        builder.HasIndex(r => r.ExpiresAt);
    }
}
