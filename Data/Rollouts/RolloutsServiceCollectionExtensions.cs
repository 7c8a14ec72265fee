using Dashboard.Data.Rollouts.Devices;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Data.Rollouts;

public static class RolloutsServiceCollectionExtensions
{
    /// <summary>Phased rollouts (Mender): device admission, inventory, artifacts and deployments.</summary>
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddSingleton<DeviceTokenService>();
        services.AddSingleton<MenderDeviceService>();
        services.AddSingleton<IdleDeviceCache>();
        services.AddSingleton<MenderInventoryService>();
        services.AddSingleton<ArtifactLinks>();
        services.AddSingleton<ArtifactService>();
        services.AddSingleton<RolloutService>();
        services.AddSingleton<DeviceDeploymentService>();
        services.AddSingleton<RolloutPhaseRunner>();
        services.AddSingleton<IWorkRunner>(sp => sp.GetRequiredService<RolloutPhaseRunner>());
        services.AddSingleton<RolloutWatchRunner>();
        services.AddSingleton<IWorkRunner>(sp => sp.GetRequiredService<RolloutWatchRunner>());
        return services;
    }
}
