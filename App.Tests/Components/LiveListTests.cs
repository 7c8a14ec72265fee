using Bunit;
using Dashboard.App.Components.Shared;
using Dashboard.App.Realtime;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Components;

public sealed class LiveListTests : MudBunitContext
{
    private sealed record Item(string Id, string Text);

    private static SharedRow<Item> Row(string id, string text) => new(new Item(id, text), $"<span class=\"text\">{text}</span>");

    private IRenderedComponent<LiveList<Item>> RenderList(IReadOnlyList<SharedRow<Item>> rows, long hidden = 0, string? selected = null) =>
        Render<LiveList<Item>>(p => p
            .Add(x => x.Rows, rows)
            .Add(x => x.Key, i => i.Id)
            .Add(x => x.RowClass, "r")
            .Add(x => x.SelectedKey, selected)
            .Add(x => x.Hidden, hidden)
            .Add(x => x.MoreHref, "/older")
            .Add(x => x.Empty, "nothing yet"));

    private LiveListUpdate LastCall() => (LiveListUpdate)JSInterop.Invocations[LiveScreen.Show][^1].Arguments[1]!;

    [Fact]
    public void FirstRender_DrawsTheRowsByKey_TheSelectedRow_AndTheMoreLine()
    {
        var cut = RenderList([Row("b", "second"), Row("a", "first")], hidden: 1234, selected: "a");

        Assert.Equal(["b", "a"], cut.FindAll("[data-live-rows] > div").Select(r => r.GetAttribute("data-key")));
        Assert.Equal("r selected", cut.Find("[data-key=a]").ClassName);
        Assert.Equal("1,234 more entries", cut.Find("[data-testid=more-rows] span").TextContent);
        Assert.Equal("/older", cut.Find("[data-testid=more-rows-link]").GetAttribute("href"));
        Assert.True(cut.Find("[data-live-empty]").HasAttribute("hidden"));
        Assert.Empty(JSInterop.Invocations[LiveScreen.Show]);
    }

    [Fact]
    public async Task LaterRows_GoToTheBrowserAsOneCall_CarryingOnlyWhatItLacks_AndTheListNeverRendersAgain()
    {
        var a = Row("a", "first");
        var b = Row("b", "second");
        var cut = RenderList([b, a]);

        // c is new, a is the same shared row, b reads differently now (a new shared row for the same key).
        await cut.InvokeAsync(() => cut.Instance.ShowAsync([Row("c", "third"), Row("b", "second, edited"), a], hidden: 0));

        var update = LastCall();
        Assert.Equal(["c", "b", "a"], update.Keys);
        Assert.Equal(["b", "c"], update.Rows!.Keys.Order());
        Assert.Null(update.Footer.Text);
        var screen = LiveScreen.Of(cut, JSInterop);
        Assert.Equal(["third", "second, edited", "first"], screen.QuerySelectorAll(".text").Select(e => e.TextContent));

        // The same rows again: nothing to send but the keys and the "N more" line.
        await cut.InvokeAsync(() => cut.Instance.ShowAsync([a], hidden: 3, unknown: false, moreHref: "/older?before=a"));
        Assert.Null(LastCall().Rows);
        Assert.Equal("3 more entries", LastCall().Footer.Text);
        screen = LiveScreen.Of(cut, JSInterop);
        Assert.Equal(["first"], screen.QuerySelectorAll(".text").Select(e => e.TextContent));
        Assert.Equal("/older?before=a", screen.QuerySelector("[data-testid=more-rows-link]")!.GetAttribute("href"));

        // Nothing left: the rows are removed by key and the empty text shows.
        await cut.InvokeAsync(() => cut.Instance.ShowAsync([], hidden: 0));
        screen = LiveScreen.Of(cut, JSInterop);
        Assert.Empty(screen.QuerySelectorAll(".text"));
        Assert.False(screen.QuerySelector("[data-live-empty]")!.HasAttribute("hidden"));
        Assert.True(screen.QuerySelector("[data-testid=more-rows]")!.HasAttribute("hidden"));

        // A parent that renders again with other rows does not make the list render: the browser owns them.
        cut.Render(p => p.Add(x => x.Rows, [Row("z", "never drawn by Blazor")]));
        Assert.Equal(1, cut.RenderCount);
        Assert.DoesNotContain("never drawn", cut.Markup, StringComparison.Ordinal);
    }
}
