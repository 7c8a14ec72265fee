using System.Collections.Concurrent;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.SignalR;

namespace Dashboard.App.Auth;

/// <summary>
/// Open SignalR connections (the timeline hub, and the Blazor circuits of kiosk screens) that were
/// authenticated with an API token or a cookie derived from one. Authentication runs once, when a
/// connection opens; without this a revoked token's connection would live as long as its socket.
/// A revocation here or on another node (<see cref="TokenService.Dropped"/>) closes the token's
/// connections at once, and a connection still opening when its token was revoked is closed as it is
/// tracked; the sweep every <see cref="SweepInterval"/> catches what a lost signal or an expiry left open. Both ask the one question, <see cref="TokenService.IsActiveAsync"/>.
/// </summary>
public sealed class TokenConnections : IDisposable
{
    /// <summary>How often open connections re-check their tokens, for expiries and revocations whose signal was lost.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (int TokenId, HubCallerContext Context)> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TokenService _tokens;
    private readonly ILogger<TokenConnections> _logger;

    public TokenConnections(TokenService tokens, ILogger<TokenConnections> logger)
    {
        _tokens = tokens;
        _logger = logger;
        _tokens.Dropped += OnDropped;
    }

    public int Count => _open.Count;

    /// <summary>How many open connections carry token <paramref name="tokenId"/>.</summary>
    internal int CountOf(int tokenId) => _open.Values.Count(c => c.TokenId == tokenId);

    /// <summary>
    /// Tracks a connection that just opened. A revocation between its authentication and this moment found
    /// nothing to close, so the token is asked once more here (answered from the cache unless it changed).
    /// </summary>
    internal async Task OpenedAsync(HubCallerContext context, CancellationToken ct)
    {
        if (ActorContext.TokenId(context.User) is not { } tokenId) return;
        _open[context.ConnectionId] = (tokenId, context);
        if (await _tokens.IsActiveAsync(tokenId, ct)) return;
        if (!_open.TryRemove(context.ConnectionId, out _)) return;
        context.Abort();
        _logger.LogInformation("Closed a connection of revoked or expired API token {TokenId} as it opened.", tokenId);
    }

    internal void Closed(HubCallerContext context) => _open.TryRemove(context.ConnectionId, out _);

    /// <summary>Aborts every open connection whose token was revoked or expired; answers how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var aborted = 0;
        foreach (var tokenId in _open.Values.Select(c => c.TokenId).Distinct().ToList()) aborted += await CloseIfInactiveAsync(tokenId, ct);
        return aborted;
    }

    private async Task<int> CloseIfInactiveAsync(int tokenId, CancellationToken ct)
    {
        if (await _tokens.IsActiveAsync(tokenId, ct)) return 0;
        var aborted = 0;
        foreach (var (connectionId, open) in _open)
        {
            // The sweep and a signal may both find the connection: only the one that removes it aborts it.
            if (open.TokenId != tokenId || !_open.TryRemove(connectionId, out _)) continue;
            open.Context.Abort();
            aborted++;
        }
        if (aborted > 0) _logger.LogInformation("Closed {Count} connection(s) of revoked or expired API token {TokenId}.", aborted, tokenId);
        return aborted;
    }

    // Raised on the revoking request's thread, or on the cluster relay's listening connection: hand off at once.
    private void OnDropped(int tokenId)
    {
        if (CountOf(tokenId) == 0) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await CloseIfInactiveAsync(tokenId, _stopping.Token);
            }
            catch (Exception ex)
            {
                // Stopping: nothing to close any more. Otherwise the sweep tries again.
                if (!_stopping.IsCancellationRequested) _logger.LogWarning(ex, "Re-checking API token {TokenId} for its open connections failed.", tokenId);
            }
        });
    }

    public void Dispose()
    {
        _tokens.Dropped -= OnDropped;
        _stopping.Cancel();
        _stopping.Dispose();
    }
}

/// <summary>Tracks every hub connection that carries a token (a global filter: the Blazor hub too).</summary>
internal sealed class TokenConnectionsFilter(TokenConnections connections) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        await connections.OpenedAsync(context.Context, context.Context.ConnectionAborted);
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
