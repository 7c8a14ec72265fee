using Dashboard.Data.Freezes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class FreezeConfiguration : IEntityTypeConfiguration<Freeze>
{
    public void Configure(EntityTypeBuilder<Freeze> b)
    {
        b.ToTable("Freezes");
        b.HasKey(f => f.Id);
        b.Property(f => f.Name).HasMaxLength(100);
        b.Property(f => f.Description).HasMaxLength(500);
        b.Property(f => f.Kind).HasMaxLength(16);
        b.Property(f => f.TimeZone).HasMaxLength(100);
        b.Property(f => f.CreatedBy).HasMaxLength(200);
        b.Ignore(f => f.Everything);
        b.HasIndex(f => f.Name).IsUnique();
    }
}

internal sealed class FreezeOverrideConfiguration : IEntityTypeConfiguration<FreezeOverride>
{
    public void Configure(EntityTypeBuilder<FreezeOverride> b)
    {
        b.ToTable("FreezeOverrides");
        b.HasKey(o => o.Id);
        // No foreign key: the record of an override outlives the freeze it overrode.
        b.Property(o => o.FreezeName).HasMaxLength(100);
        b.Property(o => o.SubjectKind).HasMaxLength(32);
        b.Property(o => o.SubjectId).HasMaxLength(200);
        b.Property(o => o.Actor).HasMaxLength(200);
        b.Property(o => o.Reason).HasMaxLength(500);
        b.HasIndex(o => new { o.SubjectKind, o.SubjectId });
    }
}

internal sealed class FreezeWaitConfiguration : IEntityTypeConfiguration<FreezeWait>
{
    public void Configure(EntityTypeBuilder<FreezeWait> b)
    {
        b.ToTable("FreezeWaits");
        b.HasKey(w => new { w.SubjectKind, w.SubjectId });
        b.Property(w => w.SubjectKind).HasMaxLength(32);
        b.Property(w => w.SubjectId).HasMaxLength(200);
        b.Property(w => w.FreezeName).HasMaxLength(100);
    }
}
