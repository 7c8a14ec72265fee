using Bunit;
using TestContext = Xunit.TestContext;
using Dashboard.App.Components.Pages.Timeline;
using Dashboard.App.Components.Shared;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Components;

public sealed class TimelineComponentsTests : MudBunitContext
{
    private static TimelineEntry Entry(long id, string title, string status = TimelineStatuses.Succeeded) => new()
    {
        Id = id, Source = TimelineSources.Changes, SubjectType = "change", SubjectId = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Status = status, Title = title, Component = "billing", Version = "1.2.3",
        Hosts = ["h1", "h2", "h3", "h4", "h5"], Actor = "john", OccurredAt = new DateTime(2026, 11, 22, 10, 30, 0, DateTimeKind.Utc),
    };

    private void UseDataServices(DataServices data)
    {
        Services.AddSingleton(data.Get<TimelineService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<Dashboard.Data.Changes.ChangeService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        Services.AddSingleton<Dashboard.App.Realtime.SharedLanes>();
        Services.AddSingleton<LanePictures>();
        Services.AddSingleton<TimelineRows>();
    }

    /// <summary>A row as the timeline draws it: its shared markup, rendered on its own.</summary>
    private IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderRow(TimelineEntry entry) =>
        Render(builder => builder.AddMarkupContent(0, TimelineRows.Markup(entry)));

    [Fact]
    public void EntryRow_EncodesMarkupInUserText()
    {
        var entry = Entry(1, "<script>alert(1)</script>");
        entry.Details = "<img src=x onerror=alert(2)> & \"quoted\"";
        entry.Actor = "<b>eve</b>";
        entry.Hosts = ["h\"><i>x</i>"];
        entry.Source = "<u>src</u>";
        var cut = RenderRow(entry);

        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        Assert.Empty(cut.FindAll("i"));
        Assert.Empty(cut.FindAll("u"));
        Assert.Equal("<script>alert(1)</script>", cut.Find("[data-testid=entry-title]").TextContent);
        Assert.Equal("<img src=x onerror=alert(2)> & \"quoted\"", cut.Find(".details").TextContent);
        Assert.Contains("by <b>eve</b>", cut.Find(".meta").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void EntryRow_SummarisesLongHostLists()
    {
        var cut = RenderRow(Entry(1, "deploy"));

        Assert.Contains("h1, h2, h3 and 2 more", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("succeeded", cut.Find("[data-testid=timeline-entry]").GetAttribute("data-status"));
    }

    [Theory]
    [InlineData(TimelineStatuses.InProgress, "in progress")]
    [InlineData(TimelineStatuses.Failed, "failed")]
    public void StatusChip_ShowsAReadableLabel(string status, string label)
    {
        var cut = Render<StatusChip>(p => p.Add(x => x.Status, status));

        Assert.Contains(label, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimelinePage_ShowsStoredEntries_AndAddsLiveOnesNewestFirst()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var timeline = data.Get<TimelineService>();
        await timeline.RecordAsync(Entry(0, "stored first"), TestContext.Current.CancellationToken);

        var cut = RenderWithProviders<TimelinePage>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=timeline-entry]")));

        await timeline.RecordAsync(Entry(0, "arrived live", TimelineStatuses.Failed), TestContext.Current.CancellationToken);

        cut.WaitForAssertion(() =>
        {
            var titles = cut.FindAll("[data-testid=entry-title]").Select(e => e.TextContent).ToList();
            Assert.Equal(["arrived live", "stored first"], titles);
        });
    }

    [Fact]
    public async Task TimelinePage_IgnoresLiveEntries_ThatDoNotMatchTheFilter()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo("/?source=batches");

        var cut = RenderWithProviders<TimelinePage>();
        cut.WaitForElement("[data-testid=timeline-empty]");
        await data.Get<TimelineService>().RecordAsync(Entry(0, "a change, not a batch"), TestContext.Current.CancellationToken);
        await data.Get<TimelineService>().RecordAsync(new TimelineEntry
        {
            Source = TimelineSources.Batches, SubjectType = "batch", SubjectId = "b1", Status = TimelineStatuses.InProgress, Title = "batch started",
        }, TestContext.Current.CancellationToken);

        cut.WaitForAssertion(() => Assert.Equal("batch started", Assert.Single(cut.FindAll("[data-testid=entry-title]")).TextContent));
    }

    [Fact]
    public async Task TimelinePage_RendersOnlyTheNewRows_WhenABurstOf1000EntriesArrives()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var timeline = data.Get<TimelineService>();
        for (var i = 0; i < 10; i++) await timeline.RecordAsync(Entry(0, $"stored {i}"), TestContext.Current.CancellationToken);
        var rows = Services.GetRequiredService<TimelineRows>();
        var cut = RenderWithProviders<TimelinePage>();
        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("[data-testid=timeline-entry]").Count));
        Assert.Equal(10, rows.Built);

        // A burst of 1,000 committed entries, published as the writer does after one commit.
        var notifier = data.Get<TimelineNotifier>();
        var burst = Enumerable.Range(1, 1000).Select(i => Entry(1000 + i, $"burst {i}")).ToList();
        notifier.Publish(burst);

        cut.WaitForAssertion(() => Assert.Equal("burst 1000", cut.FindAll("[data-testid=entry-title]")[0].TextContent));
        Assert.Equal(TimelinePage.PageSize, cut.FindAll("[data-testid=timeline-entry]").Count);
        // Only the rows that fit were drawn (the feed folds the rest before the page sees them).
        Assert.Equal(10 + TimelinePage.PageSize, rows.Built);
        // Nothing disappears silently: the 950 older entries of the burst and the 10 stored ones are counted.
        Assert.Equal("960", cut.Find("[data-testid=more-rows]").GetAttribute("data-hidden"));

        // The burst is one block; the stored rows' block left whole, since the burst alone fills the page.
        Assert.Single(cut.FindAll(".tl-block"));

        // The next few entries draw only themselves, as a new block above the burst's; the rows already
        // on screen are not built again, and the burst's block stays (a block leaves only whole).
        data.Clock.Advance(TimeSpan.FromSeconds(1));
        notifier.Publish([Entry(3001, "after 1"), Entry(3002, "after 2")]);
        cut.WaitForAssertion(() => Assert.Equal("after 2", cut.FindAll("[data-testid=entry-title]")[0].TextContent));
        Assert.Equal(12 + TimelinePage.PageSize, rows.Built);
        var blocks = cut.FindAll(".tl-block");
        Assert.Equal(2, blocks.Count);
        Assert.Equal(2, blocks[0].QuerySelectorAll("[data-testid=timeline-entry]").Length);
        Assert.Equal(2 + TimelinePage.PageSize, cut.FindAll("[data-testid=timeline-entry]").Count);
        Assert.Equal("960", cut.Find("[data-testid=more-rows]").GetAttribute("data-hidden"));
    }
}
