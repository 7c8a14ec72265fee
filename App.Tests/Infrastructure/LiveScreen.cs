using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Bunit;
using Dashboard.App.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// What a browser shows of a page with live lists (<see cref="LiveList{TItem}"/>), for bunit: the page's
/// rendered markup, with each live list's <c>dashboard.liveList.show</c> calls applied in order, the way
/// js/dashboard.js applies them (by key: keep, replace, insert, move, remove). The real script runs in
/// the browser tests; this lets component tests assert on rows without a browser.
/// </summary>
public static class LiveScreen
{
    public const string Show = "dashboard.liveList.show";

    private static readonly HtmlParser Parser = new();

    /// <summary>The page as the browser would show it now.</summary>
    public static IElement Of<T>(IRenderedComponent<T> cut, BunitJSInterop js)
        where T : IComponent
    {
        var body = Parser.ParseDocument("<!doctype html><html><body>" + cut.Markup + "</body></html>").Body!;
        var calls = js.Invocations[Show];
        foreach (var root in body.QuerySelectorAll(".live-list"))
        {
            var id = root.GetAttribute("blazor:elementreference");
            foreach (var call in calls)
            {
                if (call.Arguments[0] is ElementReference target && target.Id == id) Apply(root, (LiveListUpdate)call.Arguments[1]!);
            }
        }
        return body;
    }

    /// <summary>
    /// Waits until <paramref name="assertion"/> about the screen holds. Polls: a live list's delivery is a
    /// JS call, not a render, so bunit's own waits (which re-check after each render) would not notice it.
    /// </summary>
    public static void WaitFor(Action assertion, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static void Apply(IElement root, LiveListUpdate update)
    {
        var list = root.QuerySelector("[data-live-rows]")!;
        var old = list.Children.ToDictionary(r => r.GetAttribute("data-key")!);
        IElement? next = list.FirstElementChild;
        foreach (var key in update.Keys)
        {
            string? html = null;
            update.Rows?.TryGetValue(key, out html);
            if (old.Remove(key, out var row))
            {
                if (html is not null) row.InnerHtml = html;
            }
            else
            {
                row = root.Owner!.CreateElement(list.GetAttribute("data-row-tag") ?? "div");
                if (list.GetAttribute("data-row-class") is { } cls) row.ClassName = cls;
                row.SetAttribute("data-key", key);
                row.InnerHtml = html ?? "";
            }
            if (row == next) next = row.NextElementSibling;
            else list.InsertBefore(row, next);
        }
        foreach (var gone in old.Values) gone.Remove();

        if (root.QuerySelector(":scope > [data-live-empty]") is { } empty) Toggle(empty, hidden: update.Keys.Length > 0);
        if (root.QuerySelector(":scope > .more-rows") is { } more)
        {
            var footer = update.Footer;
            Toggle(more, hidden: footer.Text is null);
            if (footer.Count is { } count) more.SetAttribute("data-hidden", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            else more.RemoveAttribute("data-hidden");
            more.FirstElementChild!.TextContent = footer.Text ?? "";
            var link = more.QuerySelector("a")!;
            Toggle(link, hidden: footer.Href is null);
            if (footer.Href is not null) link.SetAttribute("href", footer.Href);
        }
    }

    private static void Toggle(IElement element, bool hidden)
    {
        if (hidden) element.SetAttribute("hidden", "");
        else element.RemoveAttribute("hidden");
    }
}
