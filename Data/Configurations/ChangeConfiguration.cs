using Dashboard.Data.Changes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class ChangeConfiguration : IEntityTypeConfiguration<Change>
{
    public void Configure(EntityTypeBuilder<Change> b)
    {
        b.ToTable("Changes");
        b.HasKey(c => c.Id);
        b.Property(c => c.Identifier).HasMaxLength(200);
        b.Property(c => c.Component).HasMaxLength(200);
        b.Property(c => c.Version).HasMaxLength(200);
        b.Property(c => c.MatchKey).HasMaxLength(64);
        b.Property(c => c.Status).HasMaxLength(32);
        b.Property(c => c.Owner).HasMaxLength(200);
        b.Property(c => c.Source).HasMaxLength(200);
        b.Property(c => c.TicketUrl).HasMaxLength(2000);
        b.Ignore(c => c.IsOpen);
        b.HasIndex(c => new { c.MatchKey, c.Status });
        b.HasIndex(c => c.Identifier).IsUnique();
        b.HasIndex(c => c.StartedAt);
        // Delivery metrics read the finished changes of a period.
        b.HasIndex(c => c.EndedAt);
        b.HasIndex(c => c.Status);
    }
}
