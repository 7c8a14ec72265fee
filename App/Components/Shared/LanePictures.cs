using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Dashboard.Data.Changes;
using Microsoft.AspNetCore.Components;

namespace Dashboard.App.Components.Shared;

/// <summary>
/// The lane picture (one lane per component, time to the right, a bar per change) as one encoded
/// HTML string, shared by every open page that draws the same changes at the same moment: a circuit
/// holds a reference and one render-tree frame instead of the SVG's thousands of frames, two buffers
/// of them and a click handler per bar. Bars are links to the change, so the picture needs no circuit.
/// Every text from a change goes through <see cref="HtmlEncoder"/>; styled by <c>.lanes</c> in
/// app.css (global CSS: markup carries no scope attribute).
/// </summary>
public sealed class LanePictures
{
    /// <summary>Pages tick on the same boundary so that they ask for the same picture (see <see cref="Now"/>).</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(5);

    private const int MaxLanes = 14;

    // More bars than this in one lane overlap into a solid band anyway; drawing thousands of them
    // would make every picture large during a burst of events.
    private const int MaxBarsPerLane = 150;

    /// <summary>Changes of one status that touch within this fraction of the window are drawn as one bar (its tooltip counts them).</summary>
    private const double MergeGap = 0.004;

    /// <summary>Unfiltered pages share one list of changes per window; a few filtered pages draw their own.</summary>
    private const int Capacity = 16;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly Lock _gate = new();
    private readonly LinkedList<Picture> _recent = new();

    /// <summary>Pictures drawn so far (tests check that pages showing the same changes share one).</summary>
    public long Drawn => Interlocked.Read(ref _drawn);
    private long _drawn;

    /// <summary>"Now" for a picture: the clock floored to <see cref="Resolution"/>, the same on every page.</summary>
    public static DateTime Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % Resolution.Ticks, DateTimeKind.Utc);
    }

    /// <summary>The picture of <paramref name="changes"/> (the same list object is the same picture) at <paramref name="now"/>.</summary>
    public MarkupString Get(IReadOnlyList<Change> changes, DateTime now, TimeSpan window)
    {
        lock (_gate)
        {
            for (var node = _recent.First; node is not null; node = node.Next)
            {
                if (!ReferenceEquals(node.Value.Changes, changes) || node.Value.Now != now || node.Value.Window != window) continue;
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Markup;
            }
        }
        var picture = new Picture(changes, now, window, new MarkupString(Markup(changes, now, window)));
        Interlocked.Increment(ref _drawn);
        lock (_gate)
        {
            _recent.AddFirst(picture);
            while (_recent.Count > Capacity) _recent.RemoveLast();
        }
        return picture.Markup;
    }

    /// <summary>The picture's HTML.</summary>
    public static string Markup(IReadOnlyList<Change> changes, DateTime now, TimeSpan window)
    {
        var start = now - window;
        var all = changes
            .Where(c => (c.EndedAt ?? now) >= start)
            .GroupBy(c => c.Component, StringComparer.OrdinalIgnoreCase)
            .Select(g => new Lane(g.First().Component, Merge([.. g.OrderByDescending(c => c.StartedAt).Take(MaxBarsPerLane).OrderBy(c => c.StartedAt)], now, window)))
            .OrderByDescending(l => l.Bars.Any(b => b.Latest.Status == ChangeStatuses.InProgress))
            .ThenByDescending(l => l.LastEnd)
            .ToList();
        var lanes = all.Take(MaxLanes).OrderBy(l => l.Component, StringComparer.OrdinalIgnoreCase).ToList();

        var html = new StringBuilder(1024 + lanes.Count * 1024);
        html.Append("<div class=\"lanes\" data-testid=\"lanes\"><div class=\"lane axis\"><div class=\"lane-label\"></div>")
            .Append("<svg class=\"lane-track\" height=\"18\" role=\"presentation\">");
        foreach (var (offset, label) in Ticks(now, window))
        {
            var anchor = offset > 0.97 ? "end" : offset < 0.03 ? "start" : "middle";
            html.Append("<line x1=\"").Append(Pct(offset)).Append("\" x2=\"").Append(Pct(offset)).Append("\" y1=\"12\" y2=\"18\" class=\"tick\"></line>")
                .Append("<text x=\"").Append(Pct(offset)).Append("\" y=\"10\" class=\"tick-label\" text-anchor=\"").Append(anchor).Append("\">").Append(label).Append("</text>");
        }
        html.Append("</svg></div>");
        if (lanes.Count == 0)
            html.Append("<div class=\"lanes-empty\" data-testid=\"lanes-empty\">No changes in the last ").Append(Hours(window)).Append(".</div>");
        foreach (var lane in lanes)
        {
            var component = Html.Encode(lane.Component);
            html.Append("<div class=\"lane\" data-testid=\"lane\" data-component=\"").Append(component).Append("\">")
                .Append("<div class=\"lane-label user-text\" title=\"").Append(component).Append("\">").Append(component).Append("</div>")
                .Append("<svg class=\"lane-track\" height=\"22\"><rect x=\"0\" y=\"0\" width=\"100%\" height=\"22\" class=\"lane-bg\"></rect>");
            foreach (var bar in lane.Bars)
            {
                var change = bar.Latest;
                var status = Html.Encode(change.Status);
                var title = bar.Count == 1
                    ? $"{change.Component} {change.Version} · {ChangeFormat.Label(change.Status)} · {ChangeFormat.Duration(change, now)} · {ChangeFormat.Hosts(change.Hosts)}"
                    : $"{bar.Count} changes of {change.Component} · {ChangeFormat.Label(change.Status)} · latest {change.Version}";
                html.Append("<a href=\"/changes?change=").Append(change.Id.ToString()).Append("\">")
                    .Append("<rect x=\"").Append(Pct(bar.X)).Append("\" y=\"3\" width=\"").Append(Pct(bar.W)).Append("\" height=\"16\" rx=\"3\" fill=\"")
                    .Append(ChangeFormat.Colour(change.Status)).Append("\" class=\"").Append(change.Status == ChangeStatuses.InProgress ? "bar running" : "bar")
                    .Append("\" data-testid=\"lane-bar\" data-status=\"").Append(status).Append("\" data-count=\"").Append(bar.Count.ToString(Inv)).Append("\">")
                    .Append("<title>").Append(Html.Encode(title)).Append("</title></rect></a>");
            }
            html.Append("<line x1=\"100%\" x2=\"100%\" y1=\"0\" y2=\"22\" class=\"now\"></line></svg></div>");
        }
        if (all.Count > lanes.Count)
        {
            var more = all.Count - lanes.Count;
            html.Append("<div class=\"lanes-more\">and ").Append(more.ToString(Inv)).Append(more == 1 ? " more component" : " more components").Append(" with older changes</div>");
        }
        html.Append("</div>");
        return html.ToString();
    }

    private static IEnumerable<(double Offset, string Label)> Ticks(DateTime now, TimeSpan window)
    {
        var start = now - window;
        var step = window.TotalHours <= 1 ? TimeSpan.FromMinutes(10) : window.TotalHours <= 6 ? TimeSpan.FromHours(1) : TimeSpan.FromHours(Math.Ceiling(window.TotalHours / 8));
        var first = new DateTime(start.Ticks - start.Ticks % step.Ticks + step.Ticks, DateTimeKind.Utc);
        for (var t = first; t < now; t += step)
            yield return ((t - start).TotalSeconds / window.TotalSeconds, t.ToString("HH:mm", Inv));
        yield return (1, "now");
    }

    /// <summary>Consecutive changes of one status that overlap on screen become one bar.</summary>
    private static List<Bar> Merge(List<Change> changes, DateTime now, TimeSpan window)
    {
        var bars = new List<Bar>();
        foreach (var change in changes)
        {
            var (x, w) = Span(change, now, window);
            if (bars.Count > 0 && bars[^1] is var last && last.Latest.Status == change.Status && x <= last.X + last.W + MergeGap)
            {
                var end = Math.Max(last.X + last.W, x + w);
                bars[^1] = new Bar(last.X, end - last.X, change, last.Count + 1, Max(last.LastEnd, change.EndedAt ?? now));
            }
            else bars.Add(new Bar(x, w, change, 1, change.EndedAt ?? now));
        }
        return bars;
    }

    /// <summary>Left edge and width as fractions of the window; a bar is at least visible.</summary>
    private static (double X, double W) Span(Change change, DateTime now, TimeSpan window)
    {
        var total = window.TotalSeconds;
        var windowStart = now - window;
        var start = Math.Clamp((change.StartedAt - windowStart).TotalSeconds / total, 0, 1);
        var end = Math.Clamp(((change.EndedAt ?? now) - windowStart).TotalSeconds / total, 0, 1);
        var width = Math.Max(end - start, 0.004);
        return (Math.Min(start, 1 - width), width);
    }

    private static string Pct(double fraction) => (fraction * 100).ToString("0.###", Inv) + "%";

    private static string Hours(TimeSpan window) => window.TotalHours == 1 ? "hour" : $"{window.TotalHours:0} hours";

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private sealed record Picture(IReadOnlyList<Change> Changes, DateTime Now, TimeSpan Window, MarkupString Markup);

    private sealed record Bar(double X, double W, Change Latest, int Count, DateTime LastEnd);

    private sealed record Lane(string Component, List<Bar> Bars)
    {
        public DateTime LastEnd => Bars.Max(b => b.LastEnd);
    }
}
