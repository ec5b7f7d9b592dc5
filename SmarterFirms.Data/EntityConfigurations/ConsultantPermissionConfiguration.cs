using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.EntityConfigurations;

internal sealed class ConsultantPermissionConfiguration : IEntityTypeConfiguration<ConsultantPermission>
{
    public void Configure(EntityTypeBuilder<ConsultantPermission> builder)
    {
        builder.ToTable("consultant_permissions", t =>
        {
            t.HasComment("Granular (resource, action) rights of a LIMITED_ACCESS association, optionally expiring.");
            t.HasCheckConstraint("ck_consultant_permissions_resource",
                $"resource IN ({PermissionVocabulary.SqlList(PermissionVocabulary.Resources)})");
            t.HasCheckConstraint("ck_consultant_permissions_action",
                $"action IN ({PermissionVocabulary.SqlList(PermissionVocabulary.Actions)})");
        });

        // Composite key: a permission can only ever belong to an association of the same firm.
        builder.HasOne(p => p.Association).WithMany(a => a.Permissions)
            .HasForeignKey(p => new { p.AssociationId, p.FirmId })
            .HasPrincipalKey(a => new { a.Id, a.FirmId })
            .OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Firm>().WithMany().HasForeignKey(p => p.FirmId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(p => p.GrantedById).OnDelete(DeleteBehavior.SetNull);

        builder.Property(p => p.Resource).HasMaxLength(32);
        builder.Property(p => p.Action).HasMaxLength(16);
        builder.Property(p => p.GrantedAt).HasDefaultValueSql("now()");

        // The access check's lookup: (association, resource, action), unique.
        builder.HasIndex(p => new { p.AssociationId, p.Resource, p.Action }).IsUnique();
        builder.HasIndex(p => p.FirmId);
        builder.HasIndex(p => p.GrantedById);
    }
}
