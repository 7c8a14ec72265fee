using Dashboard.Data.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Batches;

public static class BatchesServiceCollectionExtensions
{
    /// <summary>Batch provisioning: the service, the runner the job server calls and the simulated provisioner.</summary>
    public static IServiceCollection AddBatches(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(ProvisionerSettings.Section).Get<ProvisionerSettings>() ?? new ProvisionerSettings());
        services.TryAddSingleton<IProvisioner, SimulatedProvisioner>();
        services.AddSingleton<BatchService>();
        services.AddSingleton<BatchRunner>();
        services.AddSingleton<IWorkRunner>(sp => sp.GetRequiredService<BatchRunner>());
        return services;
    }
}
