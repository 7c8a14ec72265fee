using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Dashboard.App.Realtime;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Components.Pages.Kiosk;

/// <summary>
/// The kiosk's "Latest" rows as shared, pre-encoded markup (see <see cref="SharedRows{T, TKey}"/>): one
/// string per entry for every wall screen. Every piece of entry text goes through <see cref="HtmlEncoder"/>;
/// styled by KioskPage.razor.css under <c>.latest ::deep</c> (markup carries no scope attribute).
/// </summary>
public sealed class KioskRows()
    : SharedRows<TimelineEntry, long>(e => e.Id, Markup, Capacity)
{
    /// <summary>Every screen shows the same dozen newest entries; a few hundred cover a burst and filtered screens to come.</summary>
    public const int Capacity = 256;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Markup(TimelineEntry entry) => new StringBuilder(256)
        .Append("<div class=\"entry ").Append(Html.Encode(entry.Status)).Append("\" data-testid=\"kiosk-entry\">")
        .Append("<span class=\"when mono\">").Append(entry.OccurredAt.ToString("HH:mm", CultureInfo.InvariantCulture)).Append("</span>")
        .Append("<span class=\"dot\"></span>")
        .Append("<span class=\"title\">").Append(Html.Encode(entry.Title)).Append("</span></div>")
        .ToString();
}
