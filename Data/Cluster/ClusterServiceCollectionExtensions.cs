using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Data.Cluster;

public static class ClusterServiceCollectionExtensions
{
    /// <summary>Cross-node locks and live signals; both do nothing on SQLite.</summary>
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddSingleton<ClusterDatabase>();
        services.AddSingleton<ClusterSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterSignals>());
        return services;
    }
}
