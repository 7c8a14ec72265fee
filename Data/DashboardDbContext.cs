using Dashboard.Data.Attention;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Suspects;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Dashboard.Data;

/// <summary>
/// The single source of truth. Used through <c>IDbContextFactory</c>, one context per operation.
/// Every migration is written twice, once per provider (the SQLite set is the embedded default):
///   dotnet ef migrations add NAME --project Data --startup-project App --context DashboardDbContext --output-dir Migrations
///   dotnet ef migrations add NAME --project Data --startup-project App --context PostgresDashboardDbContext --output-dir Migrations/Postgres
/// </summary>
public class DashboardDbContext : DbContext
{
    public DashboardDbContext(DbContextOptions<DashboardDbContext> options) : base(options) { }

    /// <summary>For provider-specific subclasses, which own their own migration sets.</summary>
    protected DashboardDbContext(DbContextOptions options) : base(options) { }

    public DbSet<Project> Projects => Set<Project>();
    public DbSet<Plan> Plans => Set<Plan>();
    public DbSet<Fleet.OperatingSystem> OperatingSystems => Set<Fleet.OperatingSystem>();
    public DbSet<Facility> Facilities => Set<Facility>();
    public DbSet<FacilityCapacity> FacilityCapacities => Set<FacilityCapacity>();
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<FleetImport> FleetImports => Set<FleetImport>();
    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<TimelineEntry> Timeline => Set<TimelineEntry>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Change> Changes => Set<Change>();
    public DbSet<MenderAuthSet> MenderAuthSets => Set<MenderAuthSet>();
    public DbSet<DeviceAttribute> DeviceAttributes => Set<DeviceAttribute>();
    public DbSet<InventoryFilter> InventoryFilters => Set<InventoryFilter>();
    public DbSet<Artifact> Artifacts => Set<Artifact>();
    public DbSet<Rollout> Rollouts => Set<Rollout>();
    public DbSet<RolloutPhase> RolloutPhases => Set<RolloutPhase>();
    public DbSet<DeviceDeployment> DeviceDeployments => Set<DeviceDeployment>();
    public DbSet<RolloutStatusCount> RolloutStatusCounts => Set<RolloutStatusCount>();
    public DbSet<DeviceDeploymentLog> DeviceDeploymentLogs => Set<DeviceDeploymentLog>();
    public DbSet<CanaryIndex> CanaryIndex => Set<CanaryIndex>();
    public DbSet<CanaryJob> CanaryJobs => Set<CanaryJob>();
    public DbSet<CanaryJobVersion> CanaryJobVersions => Set<CanaryJobVersion>();
    public DbSet<CanaryDeployment> CanaryDeployments => Set<CanaryDeployment>();
    public DbSet<CanaryAllocation> CanaryAllocations => Set<CanaryAllocation>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<AttentionAcknowledgement> AttentionAcknowledgements => Set<AttentionAcknowledgement>();
    public DbSet<SuspectMark> SuspectMarks => Set<SuspectMark>();
    public DbSet<Freeze> Freezes => Set<Freeze>();
    public DbSet<FreezeOverride> FreezeOverrides => Set<FreezeOverride>();
    public DbSet<FreezeWait> FreezeWaits => Set<FreezeWait>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    /// <summary>Timeline entries saved but not yet committed; see <see cref="TimelinePublisher"/>.</summary>
    internal List<TimelineEntry> PendingTimeline { get; } = [];

    /// <summary>True inside SaveChanges: a commit then is SaveChanges' own, before generated ids are set on the entities.</summary>
    internal bool Saving { get; set; }

    /// <summary>Webhook delivery queues that got outbox rows in this transaction; see <see cref="WebhookOutbox"/>.</summary>
    internal HashSet<string> PendingWebhookQueues { get; } = [];

    protected override void OnModelCreating(ModelBuilder modelBuilder) => Configurations.ModelConfigurations.Apply(modelBuilder);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time is UTC. SQLite hands DateTimes back as Unspecified; mark them UTC on the way in.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcNullableDateTimeConverter>();
    }

    internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    internal sealed class UtcNullableDateTimeConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v.HasValue ? (v.Value.Kind == DateTimeKind.Utc ? v : v.Value.ToUniversalTime()) : v,
        v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);
}
