using System.Data.Common;
using Dashboard.Data.Attention;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Cluster;
using Dashboard.Data.Delivery;
using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Dashboard.Data.Work;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dashboard.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>The database, the timeline notifier and the domain services every capability shares.</summary>
    public static IServiceCollection AddDashboardData(this IServiceCollection services)
    {
        // Settings are read when first resolved, so hosts built by tests can override them late.
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(DashboardSettings.Section).Get<DashboardSettings>() ?? new DashboardSettings());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TimelineNotifier>();
        services.AddSingleton<TimelinePublisher>();
        services.AddSingleton<SqlitePragmas>();

        services.AddSingleton<IDbContextFactory<DashboardDbContext>, DashboardDbContextFactory>();
        // One key ring, in the data directory, for sign-in cookies and webhook secrets: registered with the
        // data so that every host of it (the app, the tests' data services) encrypts and decrypts alike.
        services.AddDataProtection().SetApplicationName("Dashboard");
        services.AddSingleton<DataProtectionKeysInDataDirectory>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => sp.GetRequiredService<DataProtectionKeysInDataDirectory>());

        services.AddSingleton<DatabaseInitializer>();
        services.AddAudit();
        services.AddSingleton<TokenService>();
        services.AddSingleton<UserService>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<ISignInLockoutListener, LoggingLockoutListener>();
        services.AddSingleton<ISignInLockoutListener, AuditLockoutListener>();
        services.AddSingleton<TimelineService>();
        services.AddSingleton<FleetImporter>();
        services.AddSingleton<FleetService>();
        services.AddSingleton<FleetCapacityService>();
        services.AddWork();
        services.AddBatches();
        services.AddChanges();
        services.AddRollouts();
        services.AddCanaries();
        services.AddWebhooks();
        services.AddSingleton<DeliveryMetricsService>();
        services.AddAttention();
        services.AddSingleton<FreezeService>();
        services.AddCluster();
        return services;
    }
}

/// <summary>Per-connection SQLite settings: wait for a busy writer instead of failing at once.</summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 10000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
