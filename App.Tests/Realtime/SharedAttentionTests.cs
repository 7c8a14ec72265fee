using Dashboard.App.Realtime;
using Dashboard.App.Tests.Attention;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Attention;
using Dashboard.Data.Audit;
using Dashboard.Data.Batches;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.App.Tests.Realtime;

public sealed class SharedAttentionTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReReads_DoNotRunAsThePersonWhosePageCreatedIt()
    {
        await using var data = await DataServices.MigratedAsync();
        var actors = new AmbientActorContext();
        // A singleton, made by the first page that needs it, inside that circuit's event and as its person.
        var shared = await Task.Run(() =>
        {
            using var asAlice = AmbientActorContext.Begin(new Actor("alice", ActorKinds.Person));
            return new SharedAttention(data.Get<AttentionService>(), data.Get<TimelineNotifier>(), data.Get<ProgressNotifier>(), data.Clock,
                NullLogger<SharedAttention>.Instance);
        }, Ct);
        using var _ = shared;
        await shared.GetAsync();
        var reader = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Subscribers are called on the reading thread, in the shared feed's execution context.
        using var subscription = shared.Subscribe(_ => reader.TrySetResult(actors.Current.Name));

        await AttentionTestData.BatchAsync(data.Get<IDbContextFactory<DashboardDbContext>>(), data.Clock.GetUtcNow().UtcDateTime, BatchStates.Failed, "h-1");
        shared.Refresh();

        Assert.Equal(Actor.System.Name, await reader.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }
}
