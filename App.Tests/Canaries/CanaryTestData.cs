using System.Text.Json.Nodes;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Canaries;
using Dashboard.Data.Fleet;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Canaries;

internal static class CanaryTestData
{
    public static string DemoFleetPath => Path.Combine(AppContext.BaseDirectory, "demo-fleet.json");

    /// <summary>Migrated services with the demo fleet (namespace <c>default</c> has seven nodes) and a quick simulated driver.</summary>
    public static async Task<DataServices> SeededAsync(double failureRate = 0)
    {
        var services = await DataServices.MigratedAsync(s => s.AddSingleton(new CanaryDriverSettings { StartMs = 1000, FailureRate = failureRate, Seed = 3 }));
        await services.Get<FleetImporter>().ImportFileAsync(DemoFleetPath);
        return services;
    }

    public static JobSpec Job(string id, string image = "nginx:1.25", int count = 3, int canary = 1, bool autoRevert = false, bool autoPromote = false,
        string healthCheck = HealthChecks.Checks, string? simulate = null, int maxParallel = 1) => new()
    {
        ID = id,
        Name = id,
        Namespace = "default",
        TaskGroups =
        [
            new TaskGroupSpec
            {
                Name = "web",
                Count = count,
                Meta = simulate is null ? null : new SortedDictionary<string, string> { [SimulatedDriver.MetaKey] = simulate },
                Update = new UpdateSpec
                {
                    Canary = canary, AutoRevert = autoRevert, AutoPromote = autoPromote, HealthCheck = healthCheck, MaxParallel = maxParallel,
                    MinHealthyTime = TimeSpan.FromSeconds(10), HealthyDeadline = TimeSpan.FromMinutes(1), ProgressDeadline = TimeSpan.FromMinutes(2),
                },
                Tasks = [new TaskSpec { Name = "server", Driver = "docker", Config = new JsonObject { ["image"] = image } }],
            },
        ],
    };
}
