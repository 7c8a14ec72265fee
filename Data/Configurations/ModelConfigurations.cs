using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Configurations;

/// <summary>
/// Every entity configuration, listed. EF's ApplyConfigurationsFromAssembly would load every type in
/// this assembly to find them (every migration of both providers, and the PostgreSQL types, which
/// pulls in Npgsql on SQLite), and that type metadata stays resident for the life of the process
/// (docs/BENCHMARKS.md, "Idle memory"). ModelConfigurationsTests fails when a configuration is not listed.
/// </summary>
internal static class ModelConfigurations
{
    public static void Apply(ModelBuilder b)
    {
        b.ApplyConfiguration(new ChangeConfiguration());
        b.ApplyConfiguration(new UserConfiguration());
        b.ApplyConfiguration(new ApiTokenConfiguration());
        b.ApplyConfiguration(new ProjectConfiguration());
        b.ApplyConfiguration(new PlanConfiguration());
        b.ApplyConfiguration(new OperatingSystemConfiguration());
        b.ApplyConfiguration(new FacilityConfiguration());
        b.ApplyConfiguration(new FacilityCapacityConfiguration());
        b.ApplyConfiguration(new DeviceConfiguration());
        b.ApplyConfiguration(new FleetImportConfiguration());
        b.ApplyConfiguration(new WebhookConfiguration());
        b.ApplyConfiguration(new WebhookDeliveryConfiguration());
        b.ApplyConfiguration(new CanaryIndexConfiguration());
        b.ApplyConfiguration(new CanaryJobConfiguration());
        b.ApplyConfiguration(new CanaryJobVersionConfiguration());
        b.ApplyConfiguration(new CanaryDeploymentConfiguration());
        b.ApplyConfiguration(new CanaryAllocationConfiguration());
        b.ApplyConfiguration(new AuditEntryConfiguration());
        b.ApplyConfiguration(new BatchConfiguration());
        b.ApplyConfiguration(new FreezeConfiguration());
        b.ApplyConfiguration(new FreezeOverrideConfiguration());
        b.ApplyConfiguration(new FreezeWaitConfiguration());
        b.ApplyConfiguration(new MenderAuthSetConfiguration());
        b.ApplyConfiguration(new DeviceAttributeConfiguration());
        b.ApplyConfiguration(new InventoryFilterConfiguration());
        b.ApplyConfiguration(new ArtifactConfiguration());
        b.ApplyConfiguration(new RolloutConfiguration());
        b.ApplyConfiguration(new RolloutPhaseConfiguration());
        b.ApplyConfiguration(new DeviceDeploymentConfiguration());
        b.ApplyConfiguration(new RolloutStatusCountConfiguration());
        b.ApplyConfiguration(new DeviceDeploymentLogConfiguration());
        b.ApplyConfiguration(new TimelineEntryConfiguration());
        b.ApplyConfiguration(new AttentionAcknowledgementConfiguration());
        b.ApplyConfiguration(new SuspectMarkConfiguration());
    }
}
