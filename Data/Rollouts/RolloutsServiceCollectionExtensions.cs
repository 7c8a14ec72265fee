using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Rollouts;

public static class RolloutsServiceCollectionExtensions
{
    /// <summary>Phased rollouts (Mender): device admission, inventory, artifacts and deployments.</summary>
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddSingleton<MenderDeviceService>();
        services.AddSingleton<MenderInventoryService>();
        services.AddSingleton<ArtifactLinks>();
        services.AddSingleton<RolloutService>();
        services.AddSingleton<DeviceDeploymentService>();
        services.TryAddSingleton<IWorkScheduler, RecordingWorkScheduler>();
        return services;
    }
}
