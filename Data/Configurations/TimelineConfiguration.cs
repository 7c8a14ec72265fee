using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class TimelineEntryConfiguration : IEntityTypeConfiguration<TimelineEntry>
{
    public void Configure(EntityTypeBuilder<TimelineEntry> b)
    {
        b.ToTable("TimelineEntries");
        b.HasKey(e => e.Id);
        b.Property(e => e.Source).HasMaxLength(32);
        b.Property(e => e.SubjectType).HasMaxLength(32);
        b.Property(e => e.SubjectId).HasMaxLength(128);
        b.Property(e => e.Status).HasMaxLength(32);
        b.Property(e => e.Title).HasMaxLength(500);
        b.Property(e => e.Component).HasMaxLength(200);
        b.Property(e => e.Version).HasMaxLength(200);
        b.Property(e => e.Actor).HasMaxLength(200);
        b.HasIndex(e => e.OccurredAt);
        b.HasIndex(e => new { e.SubjectType, e.SubjectId });
    }
}
