using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Data;

[Collection(AppCollection.Name)]
public sealed class RestartTests
{
    [Fact]
    public async Task App_RestartsOnTheSameDataDirectory_WithoutLosingEntriesOrTokens()
    {
        using var data = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        string secret;
        var title = $"before restart {Guid.NewGuid():N}";

        await using (var first = new DashboardApp(data.Path).Start())
        {
            await first.Service<TimelineService>().RecordAsync(new TimelineEntry
            {
                Source = TimelineSources.System, SubjectType = "test", SubjectId = "restart", Status = TimelineStatuses.Info, Title = title,
            }, ct);
            secret = (await first.Service<TokenService>().CreateAsync("survivor", [ApiScopes.Read], "admin", ct: ct)).Secret;
        }

        await using var second = new DashboardApp(data.Path).Start();
        var entries = await second.Service<TimelineService>().RecentAsync(TimelineFilter.None, 500, ct);
        Assert.Single(entries, e => e.Title == title);
        // The demo fleet is loaded once, not again on the second start.
        Assert.Single(entries, e => e.SubjectType == "fleet");
        Assert.NotNull(await second.Service<TokenService>().ValidateAsync(secret, ct));
        using var client = second.ApiClient(token: secret);
        Assert.True((await client.GetAsync("/api/timeline", ct)).IsSuccessStatusCode);
    }
}
