using Dashboard.Data.Attention;
using Dashboard.Data.Suspects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class AttentionAcknowledgementConfiguration : IEntityTypeConfiguration<AttentionAcknowledgement>
{
    public void Configure(EntityTypeBuilder<AttentionAcknowledgement> b)
    {
        b.ToTable("AttentionAcknowledgements");
        b.HasKey(a => a.Id);
        b.Property(a => a.SubjectKind).HasMaxLength(32);
        b.Property(a => a.SubjectId).HasMaxLength(200);
        b.Property(a => a.AcknowledgedBy).HasMaxLength(200);
        // One acknowledgement per subject, also when two people press at once.
        b.HasIndex(a => new { a.SubjectKind, a.SubjectId }).IsUnique();
        b.HasIndex(a => a.AcknowledgedAt);
    }
}

internal sealed class SuspectMarkConfiguration : IEntityTypeConfiguration<SuspectMark>
{
    public void Configure(EntityTypeBuilder<SuspectMark> b)
    {
        b.ToTable("SuspectMarks");
        b.HasKey(m => m.Id);
        b.Property(m => m.SubjectKind).HasMaxLength(32);
        b.Property(m => m.SubjectId).HasMaxLength(200);
        b.Property(m => m.Verdict).HasMaxLength(16);
        b.Property(m => m.MarkedBy).HasMaxLength(200);
        b.HasIndex(m => new { m.SubjectKind, m.SubjectId, m.ChangeId }).IsUnique();
    }
}
