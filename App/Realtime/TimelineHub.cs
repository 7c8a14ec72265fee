using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Dashboard.App.Auth;
using Dashboard.Data.Auth;
using Dashboard.Data.Timeline;
using Microsoft.AspNetCore.SignalR;

namespace Dashboard.App.Realtime;

/// <summary>
/// <c>/hubs/timeline</c>: the live timeline for other programs (another screen, a chat bot).
/// Authenticated by an API token with the <c>read</c> or <c>kiosk</c> scope (header, or
/// <c>access_token</c> in the query for WebSockets). Call the streaming method
/// <see cref="Stream"/> with an optional <see cref="TimelineFilter"/>; committed entries arrive as they happen.
/// </summary>
public sealed class TimelineHub(TimelineNotifier notifier) : Hub
{
    public const string Path = "/hubs/timeline";

    /// <summary>Entries buffered for a slow client before the oldest are dropped.</summary>
    private const int Buffer = 10_000;

    public async IAsyncEnumerable<TimelineEntry> Stream(TimelineFilter? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var wanted = filter ?? TimelineFilter.None;
        var channel = Channel.CreateBounded<TimelineEntry>(new BoundedChannelOptions(Buffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        // The notifier calls back on the committing thread: only hand off, never block it.
        using var subscription = notifier.Subscribe(entries =>
        {
            foreach (var entry in entries)
            {
                if (wanted.Matches(entry)) channel.Writer.TryWrite(entry);
            }
        });
        await foreach (var entry in channel.Reader.ReadAllAsync(cancellationToken)) yield return entry;
    }
}

public static class TimelineHubEndpoints
{
    public static IEndpointRouteBuilder MapTimelineHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<TimelineHub>(TimelineHub.Path).RequireAuthorization(policy => policy
            .AddAuthenticationSchemes(ApiTokenHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(context =>
            {
                var held = context.User.FindAll(AuthExtensions.ScopeClaim).Select(c => c.Value).ToList();
                return ApiScopes.Grants(held, ApiScopes.Read) || ApiScopes.Grants(held, ApiScopes.Kiosk);
            }));
        return app;
    }
}
