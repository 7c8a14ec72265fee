using System.Text.Json;
using Dashboard.Data.Canaries;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class CanaryIndexConfiguration : IEntityTypeConfiguration<CanaryIndex>
{
    public void Configure(EntityTypeBuilder<CanaryIndex> b)
    {
        b.ToTable("CanaryIndex");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.HasData(new CanaryIndex { Id = 1, Value = 1 });
    }
}

internal sealed class CanaryJobConfiguration : IEntityTypeConfiguration<CanaryJob>
{
    public void Configure(EntityTypeBuilder<CanaryJob> b)
    {
        b.ToTable("CanaryJobs");
        b.HasKey(x => new { x.Namespace, x.JobId });
        b.Property(x => x.Namespace).HasMaxLength(100);
        b.Property(x => x.JobId).HasMaxLength(128);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Type).HasMaxLength(32);
        b.Property(x => x.Status).HasMaxLength(32);
        b.Property(x => x.ModifyIndex).IsConcurrencyToken();
        b.HasIndex(x => x.ModifyIndex);
    }
}

internal sealed class CanaryJobVersionConfiguration : IEntityTypeConfiguration<CanaryJobVersion>
{
    public void Configure(EntityTypeBuilder<CanaryJobVersion> b)
    {
        b.ToTable("CanaryJobVersions");
        b.HasKey(x => new { x.Namespace, x.JobId, x.Version });
        b.Property(x => x.Namespace).HasMaxLength(100);
        b.Property(x => x.JobId).HasMaxLength(128);
        b.HasOne<CanaryJob>().WithMany().HasForeignKey(x => new { x.Namespace, x.JobId }).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CanaryDeploymentConfiguration : IEntityTypeConfiguration<CanaryDeployment>
{
    public static readonly JsonSerializerOptions Json = new();

    public void Configure(EntityTypeBuilder<CanaryDeployment> b)
    {
        b.ToTable("CanaryDeployments");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(36);
        b.Property(x => x.Namespace).HasMaxLength(100);
        b.Property(x => x.JobId).HasMaxLength(128);
        b.Property(x => x.Status).HasMaxLength(32);
        b.Property(x => x.StatusDescription).HasMaxLength(500);
        b.Property(x => x.Actor).HasMaxLength(200);
        b.Property(x => x.ModifyIndex).IsConcurrencyToken();
        // The per-group state is read and written as a whole with its deployment: one JSON column.
        b.Property(x => x.TaskGroups).HasConversion(
            v => JsonSerializer.Serialize(v, Json),
            v => JsonSerializer.Deserialize<Dictionary<string, DeploymentGroupState>>(v, Json) ?? new(),
            new ValueComparer<Dictionary<string, DeploymentGroupState>>(
                (a, c) => JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(c, Json),
                v => JsonSerializer.Serialize(v, Json).GetHashCode(),
                v => JsonSerializer.Deserialize<Dictionary<string, DeploymentGroupState>>(JsonSerializer.Serialize(v, Json), Json)!));
        b.HasOne<CanaryJob>().WithMany().HasForeignKey(x => new { x.Namespace, x.JobId }).OnDelete(DeleteBehavior.Cascade);
        // Nomad's list order (create index, then id), per namespace and across all: pages read straight off these.
        b.HasIndex(x => new { x.Namespace, x.CreateIndex, x.Id });
        b.HasIndex(x => new { x.CreateIndex, x.Id });
        b.HasIndex(x => x.ModifyIndex);
        // Filters on a job or a status read their matches straight off these, already in list order
        // (an equality, then CreateIndex and Id), instead of scanning the namespace for them.
        b.HasIndex(x => new { x.Namespace, x.JobId, x.CreateIndex, x.Id });
        b.HasIndex(x => new { x.Namespace, x.Status, x.CreateIndex, x.Id });
        b.HasIndex(x => new { x.JobId, x.CreateIndex, x.Id });
        b.HasIndex(x => new { x.Status, x.CreateIndex, x.Id });
        b.HasIndex(x => new { x.Active, x.NextCheckAt });
    }
}

internal sealed class CanaryAllocationConfiguration : IEntityTypeConfiguration<CanaryAllocation>
{
    public void Configure(EntityTypeBuilder<CanaryAllocation> b)
    {
        b.ToTable("CanaryAllocations");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(36);
        b.Property(x => x.EvalId).HasMaxLength(36);
        b.Property(x => x.Namespace).HasMaxLength(100);
        b.Property(x => x.JobId).HasMaxLength(128);
        b.Property(x => x.TaskGroup).HasMaxLength(128);
        b.Property(x => x.Name).HasMaxLength(300);
        b.Property(x => x.NodeId).HasMaxLength(64);
        b.Property(x => x.NodeName).HasMaxLength(253);
        b.Property(x => x.DeploymentId).HasMaxLength(36);
        b.Property(x => x.DesiredStatus).HasMaxLength(16);
        b.Property(x => x.ClientStatus).HasMaxLength(16);
        b.Property(x => x.DesiredDescription).HasMaxLength(500);
        b.Property(x => x.ClientDescription).HasMaxLength(500);
        b.HasOne<CanaryJob>().WithMany().HasForeignKey(x => new { x.Namespace, x.JobId }).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.Namespace, x.JobId, x.DesiredStatus });
        b.HasIndex(x => x.DeploymentId);
        b.HasIndex(x => x.NodeId);
    }
}
