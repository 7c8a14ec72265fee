using System.Text.Json;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class MenderAuthSetConfiguration : IEntityTypeConfiguration<MenderAuthSet>
{
    public void Configure(EntityTypeBuilder<MenderAuthSet> b)
    {
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.DeviceId).HasMaxLength(64);
        b.Property(x => x.Status).HasMaxLength(32);
        b.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.DeviceId);
        b.HasIndex(x => x.IdentityData);
    }
}

internal sealed class DeviceAttributeConfiguration : IEntityTypeConfiguration<DeviceAttribute>
{
    public void Configure(EntityTypeBuilder<DeviceAttribute> b)
    {
        b.HasKey(x => new { x.DeviceId, x.Scope, x.Name });
        b.Property(x => x.DeviceId).HasMaxLength(64);
        b.Property(x => x.Scope).HasMaxLength(32);
        b.Property(x => x.Name).HasMaxLength(256);
        b.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.Scope, x.Name });
    }
}

internal sealed class InventoryFilterConfiguration : IEntityTypeConfiguration<InventoryFilter>
{
    public void Configure(EntityTypeBuilder<InventoryFilter> b)
    {
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.Terms).HasConversion(
            v => JsonSerializer.Serialize(v, JsonSerializerOptions.Web),
            v => JsonSerializer.Deserialize<List<FilterTerm>>(v, JsonSerializerOptions.Web) ?? new List<FilterTerm>(),
            new ValueComparer<List<FilterTerm>>((a, c) => a!.SequenceEqual(c!), v => v.Count, v => v.ToList()));
    }
}

internal sealed class ArtifactConfiguration : IEntityTypeConfiguration<Artifact>
{
    public void Configure(EntityTypeBuilder<Artifact> b)
    {
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(256);
        b.Property(x => x.FileName).HasMaxLength(128);
        b.HasIndex(x => x.Name);
    }
}

internal sealed class RolloutConfiguration : IEntityTypeConfiguration<Rollout>
{
    public void Configure(EntityTypeBuilder<Rollout> b)
    {
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(256);
        b.Property(x => x.ArtifactName).HasMaxLength(256);
        b.Property(x => x.State).HasMaxLength(32);
        b.Property(x => x.TargetKind).HasMaxLength(16);
        b.Property(x => x.Group).HasMaxLength(256);
        b.Property(x => x.FilterId).HasMaxLength(64);
        b.Property(x => x.Actor).HasMaxLength(200);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasMany(x => x.Phases).WithOne().HasForeignKey(p => p.RolloutId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.CreatedAt);
        b.HasIndex(x => x.State);
    }
}

internal sealed class RolloutPhaseConfiguration : IEntityTypeConfiguration<RolloutPhase>
{
    public void Configure(EntityTypeBuilder<RolloutPhase> b)
    {
        b.HasKey(x => new { x.RolloutId, x.Index });
        b.Property(x => x.RolloutId).HasMaxLength(64);
    }
}

internal sealed class DeviceDeploymentConfiguration : IEntityTypeConfiguration<DeviceDeployment>
{
    public void Configure(EntityTypeBuilder<DeviceDeployment> b)
    {
        b.HasKey(x => new { x.RolloutId, x.DeviceId });
        b.Property(x => x.RolloutId).HasMaxLength(64);
        b.Property(x => x.DeviceId).HasMaxLength(64);
        b.Property(x => x.Status).HasMaxLength(32);
        b.Property(x => x.ArtifactId).HasMaxLength(64);
        b.Property(x => x.DeviceType).HasMaxLength(256);
        b.HasOne<Rollout>().WithMany().HasForeignKey(x => x.RolloutId).OnDelete(DeleteBehavior.Cascade);
        // "next" looks a device's open deployments up by device.
        b.HasIndex(x => new { x.DeviceId, x.Status });
        b.HasIndex(x => new { x.RolloutId, x.PhaseIndex, x.Status });
    }
}

internal sealed class RolloutStatusCountConfiguration : IEntityTypeConfiguration<RolloutStatusCount>
{
    public void Configure(EntityTypeBuilder<RolloutStatusCount> b)
    {
        b.HasKey(x => new { x.RolloutId, x.Status });
        b.Property(x => x.RolloutId).HasMaxLength(64);
        b.Property(x => x.Status).HasMaxLength(32);
        b.HasOne<Rollout>().WithMany().HasForeignKey(x => x.RolloutId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DeviceDeploymentLogConfiguration : IEntityTypeConfiguration<DeviceDeploymentLog>
{
    public void Configure(EntityTypeBuilder<DeviceDeploymentLog> b)
    {
        b.HasKey(x => new { x.RolloutId, x.DeviceId });
        b.Property(x => x.RolloutId).HasMaxLength(64);
        b.Property(x => x.DeviceId).HasMaxLength(64);
        b.HasOne<Rollout>().WithMany().HasForeignKey(x => x.RolloutId).OnDelete(DeleteBehavior.Cascade);
    }
}
