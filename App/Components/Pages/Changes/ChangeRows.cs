using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Dashboard.App.Components.Shared;
using Dashboard.App.Realtime;
using Dashboard.Data.Changes;

namespace Dashboard.App.Components.Pages.Changes;

/// <summary>A change as one row of the Changes table draws it at one moment: the duration is part of what it shows.</summary>
public sealed record ChangeRowState(Change Change, string Duration);

/// <summary>
/// The cells of the Changes table's rows as shared, pre-encoded markup (see
/// <see cref="SharedRows{T, TKey}"/> and docs/ARCHITECTURE.md, "Live pages"): one string per row
/// state for the whole app. Unlike a timeline entry, a change moves in place (it ends, it is updated
/// through the Changes API) and a running one's duration counts every second, so the key is what the
/// cells show: the id, its last update, status, error and duration text. "Running, 12s" is built once
/// for every open page that ticks into that second, not once per page. Every piece of change text
/// goes through <see cref="HtmlEncoder"/>: this is the one place where a change row becomes markup.
/// </summary>
public sealed class ChangeRows()
    : SharedRows<ChangeRowState, (Guid, DateTime, string, string?, string)>(
        r => (r.Change.Id, r.Change.UpdatedAt, r.Change.Status, r.Change.ErrorMessage, r.Duration), Markup, Capacity)
{
    /// <summary>
    /// A few pages of differently filtered rows, plus a second's worth of states for the running
    /// ones (each running row is a new state every second); about 1.2 KiB each.
    /// </summary>
    public const int Capacity = 1024;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>The shared row for <paramref name="change"/> as it reads at <paramref name="now"/>.</summary>
    public SharedRow<ChangeRowState> Get(Change change, DateTime now) => Get(new ChangeRowState(change, ChangeFormat.Duration(change, now)));

    /// <summary>
    /// The row's cells (the page draws the <c>tr</c>, which carries the key, the selection and the
    /// click). Styled by ChangesPage.razor.css through <c>::deep</c>: markup carries no scope attribute.
    /// </summary>
    public static string Markup(ChangeRowState row)
    {
        var c = row.Change;
        var inv = CultureInfo.InvariantCulture;
        var html = new StringBuilder(768);
        html.Append("<td data-testid=\"change-row\" data-change-id=\"").Append(c.Id.ToString())
            .Append("\" data-status=\"").Append(Html.Encode(c.Status)).Append("\">");
        StatusChip.AppendHtml(html, ChangeStatuses.ToTimeline(c.Status)).Append("</td>");
        html.Append("<td class=\"component\"><b data-testid=\"change-component\">").Append(Html.Encode(c.Component)).Append("</b></td>");
        html.Append("<td class=\"mono\">").Append(Html.Encode(c.Version)).Append("</td>");
        html.Append("<td class=\"mono hosts\" title=\"").Append(Html.Encode(string.Join(", ", c.Hosts))).Append("\">")
            .Append(Html.Encode(ChangeFormat.Hosts(c.Hosts, 1))).Append("</td>");
        html.Append("<td><div class=\"clamp\" data-testid=\"change-owner\">").Append(Html.Encode(c.Owner ?? ""))
            .Append("</div><span class=\"duration\">").Append(Html.Encode(c.Source ?? "")).Append("</span></td>");
        html.Append("<td class=\"mono nowrap\" title=\"").Append(Html.Encode(ChangeFormat.Time(c.StartedAt))).Append("\">")
            .Append(c.StartedAt.ToString("MMM d HH:mm:ss", inv))
            .Append("<br><span class=\"duration\" data-testid=\"change-duration\">").Append(Html.Encode(row.Duration)).Append("</span></td>");
        html.Append("<td data-testid=\"change-error\"><div class=\"clamp error-text\"");
        if (c.ErrorMessage is { } error) html.Append(" title=\"").Append(Html.Encode(error)).Append('"');
        html.Append('>').Append(Html.Encode(c.ErrorMessage ?? "")).Append("</div></td>");
        return html.ToString();
    }
}
