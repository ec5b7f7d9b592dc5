using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class ClioSignInCodeConfiguration : IEntityTypeConfiguration<ClioSignInCode>
{
    public void Configure(EntityTypeBuilder<ClioSignInCode> builder)
    {
        builder.ToTable("clio_sign_in_codes", t =>
        {
            t.HasComment("One-time codes of finished browser Clio sign-ins, by SHA-256: single use, a minute, one browser.");
            t.HasCheckConstraint("ck_clio_sign_in_codes_code_hash", "octet_length(code_hash) = 32");
        });
        builder.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.CreatedAt).HasDefaultValueSql("now()");
        builder.HasIndex(c => c.CodeHash).IsUnique();
        builder.HasIndex(c => c.UserId);
        builder.HasIndex(c => c.ExpiresAt);
    }
}
