using System.Net;
using System.Text;
using Dashboard.App.Realtime;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Dashboard.Data.Timeline;
using Microsoft.AspNetCore.SignalR.Client;

namespace Dashboard.App.Tests.Realtime;

[Collection(AppCollection.Name)]
public sealed class TimelineHubTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private HubConnection Connect(string? token) => new HubConnectionBuilder()
        .WithUrl(new Uri(fixture.App.BaseAddress, TimelineHub.Path), o => o.AccessTokenProvider = () => Task.FromResult(token))
        .Build();

    [Fact]
    public async Task Stream_DeliversMatchingEntries_ToADotNetClient_WithAKioskToken()
    {
        var token = (await fixture.App.Service<TokenService>().CreateAsync("bot", [ApiScopes.Kiosk], "admin", ct: Ct)).Secret;
        await using var connection = Connect(token);
        await connection.StartAsync(Ct);
        var component = $"hub-{Guid.NewGuid():N}"[..12];
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        var stream = connection.StreamAsync<TimelineEntry>("Stream", new TimelineFilter(Source: TimelineSources.Changes, Component: component), cts.Token);
        await using var reader = stream.GetAsyncEnumerator(cts.Token);
        var next = reader.MoveNextAsync().AsTask();
        using var client = fixture.App.ApiClient();
        await PostStartAsync(client, "not-" + component, "1");

        // The server subscribes when it starts the stream; send until the first matching entry arrives.
        for (var attempt = 0; !next.IsCompleted && attempt < 50; attempt++)
        {
            await PostStartAsync(client, component, "1." + attempt);
            await Task.WhenAny(next, Task.Delay(200, Ct));
        }

        Assert.True(await next);
        Assert.Equal(component, reader.Current.Component);
        Assert.Equal(TimelineStatuses.InProgress, reader.Current.Status);
        Assert.StartsWith($"{component} 1.", reader.Current.Title, StringComparison.Ordinal);
    }

    private static async Task PostStartAsync(HttpClient client, string component, string version)
    {
        using var response = await client.PostAsync("/data/events/deployments/start",
            new StringContent($$"""{"component":"{{component}}","version":"{{version}}","hosts":["prod-api-1"]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Connect_IsRefused_WithoutAValidToken(string? token)
    {
        await using var connection = Connect(token);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }
}
