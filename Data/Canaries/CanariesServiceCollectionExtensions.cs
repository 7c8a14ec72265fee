using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Canaries;

public static class CanariesServiceCollectionExtensions
{
    /// <summary>Canary deployments (Nomad): the writer and its index notifier, the engine, the services, the simulated driver.</summary>
    public static IServiceCollection AddCanaries(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(CanaryDriverSettings.Section).Get<CanaryDriverSettings>() ?? new CanaryDriverSettings());
        services.AddSingleton<SimulatedDriver>();
        services.AddSingleton<CanaryIndexNotifier>();
        services.AddSingleton<CanaryWriter>();
        services.AddSingleton<DeploymentStateMachine>();
        services.AddSingleton<CanaryEngine>();
        services.AddSingleton<JobService>();
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<DeploymentRunner>();
        services.AddSingleton<Work.IWorkRunner>(sp => sp.GetRequiredService<DeploymentRunner>());
        return services;
    }
}
