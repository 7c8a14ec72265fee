using System.Threading.Channels;
using Dashboard.App.Realtime;
using Dashboard.Data.Timeline;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Realtime;

public sealed class LiveFeedTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static TimelineEntry Entry(long id, string component = "billing") => new()
    {
        Id = id, Source = TimelineSources.Changes, SubjectType = "change", SubjectId = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Status = TimelineStatuses.InProgress, Title = $"entry {id}", Component = component,
    };

    /// <summary>A page stand-in: records each delivery and says it will render (so the feed waits for an acknowledgement).</summary>
    private sealed class Page
    {
        public Channel<LiveBatch> Deliveries { get; } = Channel.CreateUnbounded<LiveBatch>();

        public Task<bool> DeliverAsync(LiveBatch batch)
        {
            Deliveries.Writer.TryWrite(batch);
            return Task.FromResult(true);
        }

        public async Task<LiveBatch> NextAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            return await Deliveries.Reader.ReadAsync(timeout.Token);
        }
    }

    [Fact]
    public async Task Feed_DeliversNothingMore_UntilTheRenderIsAcknowledged_ThenFoldsWhatArrivedMeanwhile()
    {
        var clock = new FakeTimeProvider();
        var notifier = new TimelineNotifier();
        var page = new Page();
        using var feed = new LiveFeed(page.DeliverAsync, capacity: 5, clock).Listen(notifier).Start();

        notifier.Publish([Entry(1)]);
        var first = await page.NextAsync();
        Assert.Equal([1L], first.Entries.Select(e => e.Id));

        // The browser has not applied the first render yet: twelve more arrive, time passes, nothing is sent.
        for (var id = 2; id <= 13; id++) notifier.Publish([Entry(id)]);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(page.Deliveries.Reader.TryRead(out _));

        feed.Acknowledge(feed.Sequence);
        var second = await page.NextAsync();

        // Only the newest five are kept while waiting; the seven older ones are counted, not lost.
        Assert.Equal([9L, 10, 11, 12, 13], second.Entries.Select(e => e.Id));
        Assert.Equal(7, second.Folded);
        Assert.Equal(12, second.Arrived);
        Assert.True(feed.CatchingUp);
    }

    [Fact]
    public async Task Feed_SpacesDeliveriesByTheMinimumInterval_AndDeliversTheFirstAtOnce()
    {
        var clock = new FakeTimeProvider();
        var notifier = new TimelineNotifier();
        var page = new Page();
        using var feed = new LiveFeed(page.DeliverAsync, capacity: 100, clock).Listen(notifier).Start();

        notifier.Publish([Entry(1)]);
        await page.NextAsync();
        feed.Acknowledge(feed.Sequence);
        notifier.Publish([Entry(2)]);
        notifier.Publish([Entry(3)]);

        // Until the interval has passed on the (fake) clock the two wait together.
        clock.Advance(LiveFeed.DefaultMinInterval);
        var next = await page.NextAsync();

        Assert.Equal([2L, 3], next.Entries.Select(e => e.Id));
        Assert.Equal(0, next.Folded);
    }

    [Fact]
    public async Task Feed_ThatFoldsOnlyBecauseMoreArriveThanThePageShows_IsLive_NotCatchingUp()
    {
        var clock = new FakeTimeProvider();
        var notifier = new TimelineNotifier();
        var page = new Page();
        using var feed = new LiveFeed(page.DeliverAsync, capacity: 3, clock).Listen(notifier).Start();
        notifier.Publish([Entry(1)]);
        await page.NextAsync();
        feed.Acknowledge(feed.Sequence); // the browser applied it at once

        // Ten arrive within one interval; the page shows three, so seven are folded, but it is not behind.
        notifier.Publish([.. Enumerable.Range(2, 10).Select(id => Entry(id))]);
        clock.Advance(LiveFeed.DefaultMinInterval);
        var next = await page.NextAsync();
        feed.Acknowledge(feed.Sequence);

        Assert.Equal(7, next.Folded);
        Assert.False(feed.CatchingUp);
    }

    [Fact]
    public async Task Feed_TestsTheFilterOnThePublishingThread_AndCarriesSignalledKeys()
    {
        var clock = new FakeTimeProvider();
        var notifier = new TimelineNotifier();
        var page = new Page();
        using var feed = new LiveFeed(page.DeliverAsync, capacity: 10, clock).Listen(notifier, e => e.Component == "search").Start();

        notifier.Publish([Entry(1, "billing"), Entry(2, "search")]);
        feed.Signal("batch:b1");
        feed.Signal("batch:b1");
        var batch = await page.NextAsync();

        Assert.Equal([2L], batch.Entries.Select(e => e.Id));
        Assert.Equal(["batch:b1"], batch.Keys);
    }

    [Fact]
    public async Task Feed_StopsListening_WhenDisposed()
    {
        var notifier = new TimelineNotifier();
        var page = new Page();
        var feed = new LiveFeed(page.DeliverAsync, capacity: 10, new FakeTimeProvider()).Listen(notifier).Start();

        feed.Dispose();
        notifier.Publish([Entry(1)]);
        await Task.Yield();

        Assert.False(page.Deliveries.Reader.TryRead(out _));
    }

    [Fact]
    public void Window_KeepsTheNewestRows_AndCountsTheRestAsHidden()
    {
        var window = new LiveWindow<TimelineEntry, long>(3, e => e.Id, Comparer<TimelineEntry>.Create((a, b) => b.Id.CompareTo(a.Id)));
        window.Reset([Entry(5), Entry(4), Entry(3)], total: 10);

        var changed = window.Apply([Entry(6), Entry(7)], added: 2 + 4);

        Assert.True(changed);
        Assert.Equal([7L, 6, 5], window.Rows.Select(e => e.Id));
        Assert.Equal(16, window.Total);
        Assert.Equal(13, window.Hidden);
    }
}
