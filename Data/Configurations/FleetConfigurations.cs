using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> b)
    {
        b.HasKey(p => p.Id);
        b.Property(p => p.Id).HasMaxLength(64);
        b.Property(p => p.Name).HasMaxLength(200);
        b.Property(p => p.Slug).HasMaxLength(100);
        b.HasIndex(p => p.Slug).IsUnique();
    }
}

internal sealed class PlanConfiguration : IEntityTypeConfiguration<Plan>
{
    public void Configure(EntityTypeBuilder<Plan> b)
    {
        b.HasKey(p => p.Slug);
        b.Property(p => p.Slug).HasMaxLength(100);
        b.Property(p => p.Name).HasMaxLength(200);
    }
}

internal sealed class OperatingSystemConfiguration : IEntityTypeConfiguration<Fleet.OperatingSystem>
{
    public void Configure(EntityTypeBuilder<Fleet.OperatingSystem> b)
    {
        b.HasKey(o => o.Slug);
        b.Property(o => o.Slug).HasMaxLength(100);
        b.Property(o => o.Name).HasMaxLength(200);
    }
}

internal sealed class FacilityConfiguration : IEntityTypeConfiguration<Facility>
{
    public void Configure(EntityTypeBuilder<Facility> b)
    {
        b.HasKey(f => f.Code);
        b.Property(f => f.Code).HasMaxLength(32);
        b.Property(f => f.Name).HasMaxLength(200);
        b.Property(f => f.Metro).HasMaxLength(32);
        b.HasMany(f => f.Capacity).WithOne().HasForeignKey(c => c.FacilityCode).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class FacilityCapacityConfiguration : IEntityTypeConfiguration<FacilityCapacity>
{
    public void Configure(EntityTypeBuilder<FacilityCapacity> b)
    {
        b.HasKey(c => new { c.FacilityCode, c.PlanSlug });
        b.Property(c => c.PlanSlug).HasMaxLength(100);
        b.HasOne<Plan>().WithMany().HasForeignKey(c => c.PlanSlug).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> b)
    {
        b.HasKey(d => d.Id);
        b.Property(d => d.Id).HasMaxLength(64);
        b.Property(d => d.Hostname).HasMaxLength(253);
        b.Property(d => d.State).HasMaxLength(32);
        b.HasOne<Project>().WithMany().HasForeignKey(d => d.ProjectId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(d => new { d.ProjectId, d.Hostname }).IsUnique();
        b.HasIndex(d => d.BatchId);
        // Capacity in use is counted per plan and facility on every reservation and every read.
        b.HasIndex(d => new { d.PlanSlug, d.FacilityCode });
        b.HasIndex(d => d.Group);
        b.Property(d => d.AuthStatus).HasMaxLength(32);
        b.HasIndex(d => d.AuthStatus);
        b.HasIndex(d => d.IdentityData).IsUnique();
    }
}

internal sealed class FleetImportConfiguration : IEntityTypeConfiguration<FleetImport>
{
    public void Configure(EntityTypeBuilder<FleetImport> b)
    {
        b.HasKey(i => i.Id);
        b.Property(i => i.Id).HasMaxLength(32);
        b.Property(i => i.Origin).HasMaxLength(260);
    }
}
