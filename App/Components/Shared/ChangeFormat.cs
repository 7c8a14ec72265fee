using System.Globalization;
using Dashboard.Data.Changes;

namespace Dashboard.App.Components.Shared;

/// <summary>How changes read on screen, the same on every page that shows them.</summary>
public static class ChangeFormat
{
    public static string Duration(Change change, DateTime now) => change.Duration(now) is { } d ? Duration(d) : "–";

    public static string Duration(TimeSpan d) => d switch
    {
        { TotalSeconds: < 60 } => $"{Math.Max(0, (int)d.TotalSeconds)}s",
        { TotalMinutes: < 60 } => $"{(int)d.TotalMinutes}m {d.Seconds:00}s",
        { TotalHours: < 48 } => $"{(int)d.TotalHours}h {d.Minutes:00}m",
        _ => $"{(int)d.TotalDays}d {d.Hours}h",
    };

    public static string Hosts(IReadOnlyList<string> hosts, int show = 3) => hosts.Count <= show + 1
        ? string.Join(", ", hosts)
        : $"{string.Join(", ", hosts.Take(show))} and {hosts.Count - show} more";

    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>The colour a change is drawn in: blue while it runs, green, red, grey.</summary>
    public static string Colour(string status) => status switch
    {
        ChangeStatuses.InProgress => "#2f7ae5",
        ChangeStatuses.Success => "#2e9d5b",
        ChangeStatuses.Failure => "#d32f2f",
        ChangeStatuses.Planned => "#8e99ab",
        _ => "#6b7280",
    };

    public static string Label(string status) => status switch
    {
        ChangeStatuses.InProgress => "in progress",
        _ => status,
    };
}
