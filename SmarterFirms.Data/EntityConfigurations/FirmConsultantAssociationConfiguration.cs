using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class FirmConsultantAssociationConfiguration : IEntityTypeConfiguration<FirmConsultantAssociation>
{
    public void Configure(EntityTypeBuilder<FirmConsultantAssociation> builder)
    {
        builder.ToTable("firm_consultant_associations", t =>
            t.HasComment("Which consultants work for which firm, with what status and access level."));

        builder.HasOne(a => a.Firm).WithMany().HasForeignKey(a => a.FirmId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(a => a.Consultant).WithMany().HasForeignKey(a => a.ConsultantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(a => a.InvitedBy).WithMany().HasForeignKey(a => a.InvitedById).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<User>().WithMany().HasForeignKey(a => a.RevokedById).OnDelete(DeleteBehavior.SetNull);

        // One association per firm and consultant; a revoked consultant is invited again on the same row.
        builder.HasIndex(a => new { a.FirmId, a.ConsultantId }).IsUnique();
        // "My firms" for a consultant, and "the firm's consultants by status".
        builder.HasIndex(a => new { a.ConsultantId, a.Status });
        builder.HasIndex(a => new { a.FirmId, a.Status });
        builder.HasIndex(a => a.InvitedById);
        builder.HasIndex(a => a.RevokedById);

        builder.Property(a => a.Status).HasDefaultValue(AssociationStatus.Pending).HasSentinel((AssociationStatus)(-1));
        builder.Property(a => a.InvitedAt).HasDefaultValueSql("now()");
        builder.Property(a => a.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(a => a.UpdatedAt).HasDefaultValueSql("now()");
    }
}
