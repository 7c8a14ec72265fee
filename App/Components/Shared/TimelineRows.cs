using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Dashboard.App.Realtime;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Components.Shared;

/// <summary>
/// Timeline entries as shared, pre-encoded rows (one per entry for the whole app; see
/// <see cref="SharedRows{T, TKey}"/>). Committed entries never change, so the id is the key.
/// Every piece of entry text goes through <see cref="HtmlEncoder"/>: this is the one place where a
/// live row becomes markup, and nothing user-supplied reaches it unencoded.
/// </summary>
public sealed class TimelineRows()
    : SharedRows<TimelineEntry, long>(e => e.Id, Markup, Capacity)
{
    /// <summary>A few pages of rows for many differently filtered pages; about 1.5 KiB each.</summary>
    public const int Capacity = 512;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>
    /// The row's HTML; styled by <c>.timeline-list</c> in app.css (global CSS: markup carries no scope
    /// attribute). Deliberately flat (ten elements, one box per line): with many pages open at a burst
    /// of events the browser's cost is per element inserted (parse, style, layout), see docs/BENCHMARKS.md.
    /// </summary>
    public static string Markup(TimelineEntry entry)
    {
        var html = new StringBuilder(512);
        var inv = CultureInfo.InvariantCulture;
        var status = Html.Encode(entry.Status);
        html.Append("<div class=\"entry\" data-testid=\"timeline-entry\" data-entry-id=\"").Append(entry.Id.ToString(inv))
            .Append("\" data-status=\"").Append(status).Append("\">");
        html.Append("<span class=\"when mono\" title=\"").Append(entry.OccurredAt.ToString("u", inv)).Append("\">")
            .Append(entry.OccurredAt.ToString("HH:mm:ss", inv)).Append("<small>")
            .Append(entry.OccurredAt.ToString("MMM d", inv)).Append("</small></span>");
        StatusChip.AppendHtml(html, entry.Status);
        html.Append("<span class=\"source\">").Append(Html.Encode(entry.Source)).Append("</span>");
        html.Append("<span class=\"title user-text\" data-testid=\"entry-title\">").Append(Html.Encode(entry.Title)).Append("</span>");
        var meta = html.Length;
        html.Append("<span class=\"meta\">");
        if (!string.IsNullOrEmpty(entry.Component))
        {
            html.Append("<b>").Append(Html.Encode(entry.Component)).Append("</b>");
            if (!string.IsNullOrEmpty(entry.Version)) html.Append(' ').Append(Html.Encode(entry.Version));
        }
        if (entry.Hosts.Count > 0) html.Append("<span class=\"mono\">").Append(Html.Encode(HostsText(entry.Hosts))).Append("</span>");
        if (!string.IsNullOrEmpty(entry.Actor)) html.Append("<span>by ").Append(Html.Encode(entry.Actor)).Append("</span>");
        if (html.Length == meta + "<span class=\"meta\">".Length) html.Length = meta;
        else html.Append("</span>");
        if (!string.IsNullOrEmpty(entry.Details)) html.Append("<span class=\"details user-text\">").Append(Html.Encode(entry.Details)).Append("</span>");
        html.Append("</div>");
        return html.ToString();
    }

    private static string HostsText(List<string> hosts) => hosts.Count <= 4
        ? string.Join(", ", hosts)
        : $"{string.Join(", ", hosts.Take(3))} and {hosts.Count - 3} more";
}
