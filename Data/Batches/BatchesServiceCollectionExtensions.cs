using Dashboard.Data.Fleet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Batches;

public static class BatchesServiceCollectionExtensions
{
    /// <summary>Batch provisioning: the service, the simulated provisioner and a queue the job server replaces.</summary>
    public static IServiceCollection AddBatches(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(ProvisionerSettings.Section).Get<ProvisionerSettings>() ?? new ProvisionerSettings());
        services.TryAddSingleton<IProvisioner, SimulatedProvisioner>();
        services.TryAddSingleton<IBatchQueue, ManualBatchQueue>();
        services.AddSingleton<BatchProgressNotifier>();
        services.AddSingleton<BatchService>();
        services.AddSingleton<FleetCapacityService>();
        return services;
    }
}
