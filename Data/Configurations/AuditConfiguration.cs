using Dashboard.Data.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("AuditEntries");
        b.HasKey(e => e.Id);
        b.Property(e => e.Actor).HasMaxLength(200);
        b.Property(e => e.ActorKind).HasMaxLength(16);
        b.Property(e => e.SessionId).HasMaxLength(64);
        b.Property(e => e.RemoteAddress).HasMaxLength(64);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.TargetKind).HasMaxLength(32);
        b.Property(e => e.TargetId).HasMaxLength(200);
        b.Property(e => e.Outcome).HasMaxLength(16);
        b.Property(e => e.Detail).HasMaxLength(AuditLog.MaxDetail);
        b.HasIndex(e => e.At);
        b.HasIndex(e => new { e.Action, e.Id });
    }
}
