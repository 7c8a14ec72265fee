using System.Collections.Concurrent;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.SignalR;

namespace Dashboard.App.Auth;

/// <summary>
/// Open SignalR connections (the timeline hub, and the Blazor circuits of kiosk screens) that were
/// authenticated with an API token or a cookie derived from one. Authentication runs once, when a
/// connection opens; without this a revoked token's connection would live as long as its socket.
/// </summary>
public sealed class TokenConnections(TokenService tokens, ILogger<TokenConnections> logger)
{
    /// <summary>How often open connections re-check their tokens; with the token cache's 30 s, revocation ends them within a minute.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (int TokenId, HubCallerContext Context)> _open = new();

    public int Count => _open.Count;

    internal void Opened(HubCallerContext context)
    {
        if (ActorContext.TokenId(context.User) is { } tokenId) _open[context.ConnectionId] = (tokenId, context);
    }

    internal void Closed(HubCallerContext context) => _open.TryRemove(context.ConnectionId, out _);

    /// <summary>Aborts every open connection whose token was revoked or expired; answers how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var aborted = 0;
        foreach (var group in _open.Values.GroupBy(c => c.TokenId))
        {
            if (await tokens.IsActiveAsync(group.Key, ct)) continue;
            foreach (var (_, context) in group)
            {
                context.Abort();
                _open.TryRemove(context.ConnectionId, out _);
                aborted++;
            }
            logger.LogInformation("Closed {Count} connection(s) of revoked or expired API token {TokenId}.", group.Count(), group.Key);
        }
        return aborted;
    }
}

/// <summary>Tracks every hub connection that carries a token (a global filter: the Blazor hub too).</summary>
internal sealed class TokenConnectionsFilter(TokenConnections connections) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        connections.Opened(context.Context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        connections.Closed(context.Context);
        await next(context, exception);
    }
}

/// <summary>Runs <see cref="TokenConnections.SweepAsync"/> on the app's clock.</summary>
internal sealed class TokenConnectionsSweeper(TokenConnections connections, TimeProvider clock, ILogger<TokenConnectionsSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TokenConnections.SweepInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await connections.SweepAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A database hiccup must not stop the sweeps: the next tick tries again.
                    logger.LogWarning(ex, "Re-checking the tokens of open connections failed.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

public static class TokenConnectionsExtensions
{
    public static IServiceCollection AddTokenConnections(this IServiceCollection services)
    {
        services.AddSingleton<TokenConnections>();
        services.AddSingleton<TokenConnectionsFilter>();
        services.AddSignalR(o => o.AddFilter<TokenConnectionsFilter>());
        services.AddHostedService<TokenConnectionsSweeper>();
        return services;
    }
}
