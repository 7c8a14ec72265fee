using Dashboard.Data;
using Dashboard.Jobs.Reconciliation;
using Dashboard.Jobs.Timeline;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Hangfire with in-memory storage (embedded default) or PostgreSQL storage (scale-out), a job
    /// server, and the start-up reconciler. Capabilities add their own <see cref="IReconcileStep"/>.
    /// </summary>
    public static IServiceCollection AddDashboardJobs(this IServiceCollection services, DashboardSettings options)
    {
        services.AddHangfire(config =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (options.UsesPostgres)
                config.UsePostgreSqlStorage(pg => pg.UseNpgsqlConnection(options.ConnectionString));
            else
                config.UseInMemoryStorage();
        });
        services.AddHangfireServer(server =>
        {
            server.WorkerCount = Math.Max(4, Environment.ProcessorCount * 2);
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        services.AddHostedService<StartupReconciler>();
        services.AddTransient<TimelineRetentionJob>();
        return services;
    }

    public static void ScheduleRecurringJobs(IRecurringJobManager recurring) =>
        recurring.AddOrUpdate<TimelineRetentionJob>(TimelineRetentionJob.RecurringId, job => job.RunAsync(CancellationToken.None), Cron.Daily());
}
