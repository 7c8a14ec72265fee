using Dashboard.Data.Batches;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class BatchConfiguration : IEntityTypeConfiguration<Batch>
{
    public void Configure(EntityTypeBuilder<Batch> b)
    {
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.ProjectId).HasMaxLength(64);
        b.Property(x => x.State).HasMaxLength(32);
        b.Property(x => x.PlanSlug).HasMaxLength(100);
        b.Property(x => x.OperatingSystemSlug).HasMaxLength(100);
        b.Property(x => x.BillingCycle).HasMaxLength(16);
        b.Property(x => x.HostnameTemplate).HasMaxLength(253);
        b.Property(x => x.Actor).HasMaxLength(200);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasOne<Fleet.Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.ProjectId, x.CreatedAt });
        b.HasIndex(x => x.State);
    }
}
