using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> b)
    {
        b.ToTable("Webhooks");
        b.HasKey(w => w.Id);
        b.Property(w => w.Name).HasMaxLength(100);
        b.Property(w => w.Url).HasMaxLength(2000);
        // Encrypted (WebhookSecrets): a 200-character secret of 3-byte UTF-8 characters comes to about 930.
        b.Property(w => w.Secret).HasMaxLength(1000);
        b.Property(w => w.CreatedBy).HasMaxLength(200);
        b.Ignore(w => w.Filter);
        b.HasIndex(w => w.Name).IsUnique();
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("WebhookDeliveries");
        b.HasKey(d => d.Id);
        b.Property(d => d.QueueKey).HasMaxLength(300);
        b.Property(d => d.EventType).HasMaxLength(32);
        b.Property(d => d.State).HasMaxLength(16);
        b.Property(d => d.LastError).HasMaxLength(1000);
        // The log lives as long as the timeline it delivers (retention removes both).
        b.HasOne(d => d.TimelineEntry).WithMany().HasForeignKey(d => d.TimelineEntryId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(d => new { d.QueueKey, d.State, d.TimelineEntryId });
        b.HasIndex(d => new { d.WebhookId, d.CreatedAt });
        b.HasIndex(d => d.State);
    }
}
