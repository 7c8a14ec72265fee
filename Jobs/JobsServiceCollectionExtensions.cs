using Dashboard.Data;
using Dashboard.Jobs.Batches;
using Dashboard.Jobs.Canaries;
using Dashboard.Jobs.Reconciliation;
using Dashboard.Jobs.Timeline;
using Dashboard.Jobs.Work;
using Dashboard.Data.Work;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Hangfire with in-memory storage (embedded default) or PostgreSQL storage (scale-out), a job
    /// server, and the start-up reconciler. Capabilities add their own <see cref="IReconcileStep"/>.
    /// </summary>
    public static IServiceCollection AddDashboardJobs(this IServiceCollection services)
    {
        // Each host owns its storage instance (not Hangfire's static JobStorage.Current), so several
        // hosts in one process, as in the tests, never execute each other's jobs.
        services.AddSingleton<JobStorage>(sp =>
        {
            var options = sp.GetRequiredService<DashboardSettings>();
            return options.UsesPostgres ? PostgresStorage(options.ConnectionString) : new InMemoryStorage();
        });
        services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(sp.GetRequiredService<JobStorage>())
            .UseLogProvider(new HostTolerantLogProvider(sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())));
        services.AddHangfireServer(server =>
        {
            server.WorkerCount = Math.Max(4, Environment.ProcessorCount * 2);
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            // Nodes alive (the System page, and which node's work others may take over) is read from
            // these heartbeats: a killed node drops out after a minute instead of five.
            server.HeartbeatInterval = TimeSpan.FromSeconds(10);
            server.ServerTimeout = TimeSpan.FromMinutes(1);
            server.ServerCheckInterval = TimeSpan.FromSeconds(30);
        });
        services.AddHostedService<StartupReconciler>();
        services.AddSingleton<IWorkScheduler, HangfireWorkScheduler>();
        services.AddTransient<WorkJob>();
        services.AddSingleton<SubjectGate>();
        services.AddSingleton<ReconcileFilter>();
        services.AddTransient<TimelineRetentionJob>();
        services.AddBatchJobs();
        services.AddSingleton<IReconcileStep, Rollouts.RolloutReconcileStep>();
        services.AddCanaryJobs();
        services.AddSingleton<IReconcileStep, Webhooks.WebhookReconcileStep>();
        services.AddSingleton<Demo.DemoActivity>();
        services.AddHostedService<Demo.DemoActivityHost>();
        return services;
    }

    // Kept out of line so Hangfire.PostgreSql and Npgsql are only loaded when PostgreSQL is selected.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static JobStorage PostgresStorage(string? connectionString) =>
        new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, new PostgreSqlStorageOptions
        {
            // Every node fetches from the same queues (FOR UPDATE SKIP LOCKED: each job once). A job
            // whose node died is fetched again once its fetch is a minute stale, rather than after the
            // default 30 minutes; running nodes keep their fetches fresh while the job runs.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = TimeSpan.FromMinutes(1),
            // Workers on every node wake on Hangfire's own NOTIFY when a job is enqueued anywhere,
            // instead of polling every 15 s; the poll remains as a fallback.
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(5),
        }));

    public static void ScheduleRecurringJobs(IRecurringJobManager recurring) =>
        recurring.AddOrUpdate<TimelineRetentionJob>(TimelineRetentionJob.RecurringId, job => job.RunAsync(CancellationToken.None), Cron.Daily());
}
