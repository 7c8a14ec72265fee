using System.Globalization;
using Dashboard.App.Realtime;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.JSInterop;

namespace Dashboard.App.Components.Shared;

/// <summary>
/// The rows of a live list, owned by the browser after the first render (see docs/ARCHITECTURE.md,
/// "Live pages"). The component renders the first rows, its empty text and its "N more" line once;
/// from then on every delivery is one JS call (<see cref="ShowAsync"/>) that carries the keys in
/// order and the HTML of only the rows the browser does not have yet (or whose shared markup
/// changed), and <c>js/dashboard.js</c> inserts, moves, replaces and removes row elements by key.
/// <para>
/// Why not a render batch: with twenty pages open at 200 events/s, a Blazor render of keyed rows
/// costs the browser a fifth more per delivery than inserting the same HTML, and every delivery
/// waited for the render's acknowledgement (docs/BENCHMARKS.md, "Seventh session"). The call
/// itself is the acknowledgement: it returns once the browser applied it.
/// </para>
/// The component never renders again after its first render (the browser owns the rows, and a
/// render would diff against elements that are gone); a page that starts over (a new filter) gives
/// it a new <c>@key</c>. Row markup comes from <see cref="SharedRows{T, TKey}"/>: encoded once for
/// every circuit, and the only HTML this component lets through.
/// </summary>
public sealed class LiveList<TItem> : ComponentBase, IDisposable
    where TItem : class
{
    [Inject] private IJSRuntime JS { get; set; } = default!;

    [Inject] private CircuitConnection Connection { get; set; } = default!;

    /// <summary>The first rows, rendered by Blazor (also when prerendering); later rows arrive through <see cref="ShowAsync"/>.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<SharedRow<TItem>> Rows { get; set; } = [];

    /// <summary>What identifies a row on screen (the id): a row whose key stays keeps its element.</summary>
    [Parameter, EditorRequired] public Func<TItem, string> Key { get; set; } = default!;

    /// <summary>The element that holds the rows, and each row's element: <c>div</c>, or <c>tbody</c> and <c>tr</c> inside a table.</summary>
    [Parameter] public string RowsTag { get; set; } = "div";

    [Parameter] public string RowTag { get; set; } = "div";

    [Parameter] public string? RowClass { get; set; }

    /// <summary>A row with this key gets the class <c>selected</c>.</summary>
    [Parameter] public string? SelectedKey { get; set; }

    /// <summary>Where a click on a row goes, with <c>{key}</c> for the row's key (rows of the Changes table); null: rows are not clickable.</summary>
    [Parameter] public string? RowHref { get; set; }

    /// <summary>What surrounds the rows' element, for example a table with its header around the <c>tbody</c>.</summary>
    [Parameter] public RenderFragment<RenderFragment>? Frame { get; set; }

    /// <summary>Shown while there are no rows.</summary>
    [Parameter] public RenderFragment? Empty { get; set; }

    [Parameter] public string? Class { get; set; }

    [Parameter] public string? TestId { get; set; }

    /// <summary>The "N more" line: matching rows not on screen, and whether an exact count exists.</summary>
    [Parameter] public long Hidden { get; set; }

    [Parameter] public bool Unknown { get; set; }

    [Parameter] public string Noun { get; set; } = "entries";

    /// <summary>The "show older" link of the "N more" line (older than the last row).</summary>
    [Parameter] public string? MoreHref { get; set; }

    // What the browser shows: each key with the shared row whose markup it has. References only.
    private Dictionary<string, SharedRow<TItem>> _shown = [];
    private ElementReference _root;
    private bool _rendered;
    private bool _attached;
    private (IReadOnlyList<SharedRow<TItem>> Rows, LiveListFooter Footer)? _waiting;

    protected override void OnInitialized() => Connection.Up += OnConnectionUp;

    protected override bool ShouldRender() => !_rendered;

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        _rendered = true;
        _shown = new Dictionary<string, SharedRow<TItem>>(Rows.Count, StringComparer.Ordinal);
        foreach (var row in Rows) _shown[Key(row.Item)] = row;

        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", Class is null ? "live-list" : "live-list " + Class);
        builder.AddAttribute(2, "data-testid", TestId);
        builder.AddAttribute(3, "data-row-href", RowHref);
        builder.AddElementReferenceCapture(4, r => _root = r);
        if (Frame is null) builder.AddContent(5, RowsElement);
        else builder.AddContent(6, Frame(RowsElement));
        if (Empty is not null)
        {
            builder.OpenElement(7, "div");
            builder.AddAttribute(8, "data-live-empty");
            builder.AddAttribute(9, "hidden", Rows.Count > 0);
            builder.AddContent(10, Empty);
            builder.CloseElement();
        }
        var footer = LiveListFooter.Of(Hidden, Unknown, Noun, MoreHref);
        builder.OpenElement(11, "div");
        builder.AddAttribute(12, "class", "more-rows");
        builder.AddAttribute(13, "data-testid", "more-rows");
        builder.AddAttribute(14, "data-hidden", footer.Count);
        builder.AddAttribute(15, "hidden", footer.Text is null);
        builder.OpenElement(16, "span");
        builder.AddContent(17, footer.Text);
        builder.CloseElement();
        builder.OpenElement(18, "a");
        builder.AddAttribute(19, "href", footer.Href);
        builder.AddAttribute(20, "data-testid", "more-rows-link");
        builder.AddAttribute(21, "hidden", footer.Href is null);
        builder.AddContent(22, "show older");
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
    }

    private void RowsElement(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, RowsTag);
        builder.AddAttribute(1, "data-live-rows");
        builder.AddAttribute(2, "data-row-tag", RowTag);
        builder.AddAttribute(3, "data-row-class", RowClass);
        foreach (var row in Rows)
        {
            var key = Key(row.Item);
            builder.OpenElement(4, RowTag);
            builder.SetKey(key);
            builder.AddAttribute(5, "class", key == SelectedKey ? RowClass + " selected" : RowClass);
            builder.AddAttribute(6, "data-key", key);
            builder.AddContent(7, row.Markup);
            builder.CloseElement();
        }
        builder.CloseElement();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        _attached = true;
        if (_waiting is { } waiting)
        {
            _waiting = null;
            await SendAsync(Diff(waiting.Rows, waiting.Footer), waiting.Rows);
        }
    }

    /// <summary>
    /// Shows <paramref name="rows"/> (in order) and the "N more" line; returns once the browser applied
    /// it. Before the browser has the first render, only the latest call is kept and sent right after it.
    /// Call on the component's dispatcher (from the page's <c>InvokeAsync</c>).
    /// </summary>
    public Task ShowAsync(IReadOnlyList<SharedRow<TItem>> rows, long hidden, bool unknown = false, string? moreHref = null)
    {
        var footer = LiveListFooter.Of(hidden, unknown, Noun, moreHref);
        _waiting = null;
        if (_attached) return SendAsync(Diff(rows, footer), rows);
        _waiting = (rows, footer);
        return Task.CompletedTask;
    }

    // Computed when the call is sent, so calls sent one after another each carry what the one before left out.
    private LiveListUpdate Diff(IReadOnlyList<SharedRow<TItem>> rows, LiveListFooter footer)
    {
        var keys = new string[rows.Count];
        Dictionary<string, string>? html = null;
        var shown = new Dictionary<string, SharedRow<TItem>>(rows.Count, StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var key = keys[i] = Key(row.Item);
            shown[key] = row;
            if (!_shown.TryGetValue(key, out var had) || !ReferenceEquals(had, row)) (html ??= new(StringComparer.Ordinal))[key] = row.Markup.Value;
        }
        _shown = shown;
        return new LiveListUpdate(keys, html, footer);
    }

    private async Task SendAsync(LiveListUpdate update, IReadOnlyList<SharedRow<TItem>> rows)
    {
        try
        {
            await JS.InvokeVoidAsync("dashboard.liveList.show", Connection.Token, _root, update);
        }
        catch (Exception ex) when (ex is JSDisconnectedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is down (or went down while the call was in flight): the browser may not have
            // it. Once it is back, send everything again; a newer call replaces this one meanwhile.
            _shown.Clear();
            _waiting ??= (rows, update.Footer);
        }
    }

    private void OnConnectionUp() => _ = InvokeAsync(async () =>
    {
        if (!_attached || _waiting is not { } waiting) return;
        _waiting = null;
        await SendAsync(Diff(waiting.Rows, waiting.Footer), waiting.Rows);
    });

    public void Dispose() => Connection.Up -= OnConnectionUp;
}

/// <summary>What one <see cref="LiveList{TItem}"/> call carries (camel-cased on the wire: keys, rows, footer).</summary>
public sealed record LiveListUpdate(string[] Keys, Dictionary<string, string>? Rows, LiveListFooter Footer);

/// <summary>The "N more" line: its count (null when unknown), its text (null: nothing to say) and its link.</summary>
public sealed record LiveListFooter(long? Count, string? Text, string? Href)
{
    public static LiveListFooter Of(long hidden, bool unknown, string noun, string? href) =>
        unknown ? new LiveListFooter(null, "There may be more " + noun, href)
        : hidden > 0 ? new LiveListFooter(hidden, hidden.ToString("N0", CultureInfo.InvariantCulture) + " more " + noun, href)
        : new LiveListFooter(0, null, null);
}
