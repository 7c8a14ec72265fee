using System.Text.Json.Nodes;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Canaries;

namespace Dashboard.App.Tests.Audit;

internal static class RunningDeployments
{
    /// <summary>Registers a job whose deployment keeps running for minutes (a long minimum healthy time), so people and tokens can act on it; returns its id.</summary>
    public static async Task<string> StartAsync(DashboardApp app, string jobPrefix, CancellationToken ct)
    {
        var job = $"{jobPrefix}-{Guid.NewGuid():N}"[..(jobPrefix.Length + 7)];
        var registration = await app.Service<JobService>().RegisterAsync(new JobSpec
        {
            ID = job,
            Name = job,
            Namespace = "default",
            TaskGroups =
            [
                new TaskGroupSpec
                {
                    Name = "web",
                    Count = 1,
                    Update = new UpdateSpec { MinHealthyTime = TimeSpan.FromMinutes(5), HealthyDeadline = TimeSpan.FromMinutes(10), ProgressDeadline = TimeSpan.FromMinutes(15) },
                    Tasks = [new TaskSpec { Name = "server", Driver = "docker", Config = new JsonObject { ["image"] = "nginx:1.27" } }],
                },
            ],
        }, "test", ct: ct);
        return registration.DeploymentId!;
    }
}
