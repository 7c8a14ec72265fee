using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Data.Rollouts;

public static class RolloutsServiceCollectionExtensions
{
    /// <summary>Phased rollouts (Mender): device admission, inventory, artifacts and deployments.</summary>
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddSingleton<MenderDeviceService>();
        services.AddSingleton<MenderInventoryService>();
        return services;
    }
}
