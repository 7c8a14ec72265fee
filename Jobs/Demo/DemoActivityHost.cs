using Dashboard.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Jobs.Demo;

/// <summary>
/// Beats <see cref="DemoActivity"/> every few seconds on the app clock while the demo fleet is in use
/// (<c>Dashboard:Demo</c> and no fleet file) unless <c>Dashboard:Demo:Activity=false</c>.
/// A hosted loop rather than a Hangfire recurring job: the beat is seconds, below cron's minute, and
/// a beat holds no state (each re-reads the database), so there is nothing for Hangfire to keep.
/// </summary>
public sealed class DemoActivityHost(IServiceProvider services, DashboardSettings settings, IConfiguration configuration,
    TimeProvider clock, ILogger<DemoActivityHost> logger) : BackgroundService
{
    public const string ActivityKey = "Dashboard:Demo:Activity";
    public const string BeatKey = "Dashboard:Demo:BeatSeconds";

    public static bool Enabled(DashboardSettings settings, IConfiguration configuration) =>
        settings.Demo && string.IsNullOrWhiteSpace(settings.FleetFile) && configuration.GetValue<bool?>(ActivityKey) != false;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled(settings, configuration)) return;
        var beat = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue<double?>(BeatKey) ?? 3, 0.5, 600));
        logger.LogInformation("Demo activity is on (every {Beat} s); set {Key}=false to turn it off.", beat.TotalSeconds, ActivityKey);
        var activity = services.GetRequiredService<DemoActivity>();
        using var timer = new PeriodicTimer(beat, clock);
        do
        {
            await activity.BeatAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
