using System.Globalization;

namespace Dashboard.Data.Freezes;

/// <summary>
/// What an administrator asks for, the API's body and the page's form alike. Weekly windows take
/// day names (<c>friday</c>) and 24-hour times (<c>16:00</c>) in <see cref="TimeZone"/>, an IANA id.
/// </summary>
public sealed record FreezeRequest
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? Kind { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public string? TimeZone { get; init; }
    public string? StartDay { get; init; }
    public string? StartTime { get; init; }
    public string? EndDay { get; init; }
    public string? EndTime { get; init; }
    public IReadOnlyList<string>? Projects { get; init; }
    public IReadOnlyList<string>? Components { get; init; }
}

/// <summary>The rules for a freeze, shared by the API and the page (the same messages in both).</summary>
public static class FreezeValidator
{
    public const int MaxScope = 50;
    /// <summary>A one-off freeze longer than this is a mistake (or a policy, which is not what freezes are for).</summary>
    public static readonly TimeSpan MaxOnce = TimeSpan.FromDays(90);

    public static readonly IReadOnlyList<string> DayNames = [.. Enum.GetNames<DayOfWeek>().Select(d => d.ToLowerInvariant())];

    /// <summary>The freeze a valid request describes; the first mistake throws <see cref="ValidationException"/>.</summary>
    public static Freeze Validate(FreezeRequest request, DateTime now)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name)) throw new ValidationException("name", "A name is required.");
        if (name.Length > 100) throw new ValidationException("name", "The name is at most 100 characters.");
        var description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
        if (description?.Length > 500) throw new ValidationException("description", "The description is at most 500 characters.");

        var kind = request.Kind?.Trim().ToLowerInvariant();
        var freeze = new Freeze { Name = name, Description = description, Kind = kind ?? "" };
        switch (kind)
        {
            case FreezeKinds.Once:
                if (request.StartsAt is not { } starts) throw new ValidationException("startsAt", "A one-off freeze needs a start.");
                if (request.EndsAt is not { } ends) throw new ValidationException("endsAt", "A one-off freeze needs an end.");
                if (!string.IsNullOrWhiteSpace(request.TimeZone))
                {
                    var onceZone = Zone(request.TimeZone);
                    starts = WallClock(starts, onceZone, "startsAt");
                    ends = WallClock(ends, onceZone, "endsAt");
                    // Kept to show the window as it was entered; the instants are what the calendar uses.
                    freeze.TimeZone = onceZone.Id;
                }
                if (ends <= starts) throw new ValidationException("endsAt", "The end must be after the start.");
                if (ends.UtcDateTime <= now) throw new ValidationException("endsAt", "The end is in the past; this freeze would never apply.");
                if (ends - starts > MaxOnce) throw new ValidationException("endsAt", $"A one-off freeze lasts at most {MaxOnce.TotalDays:0} days.");
                freeze.StartsAt = starts.UtcDateTime;
                freeze.EndsAt = ends.UtcDateTime;
                break;
            case FreezeKinds.Weekly:
                if (string.IsNullOrWhiteSpace(request.TimeZone)) throw new ValidationException("timeZone", "A weekly freeze needs a time zone (an IANA id such as Europe/Berlin).");
                freeze.TimeZone = Zone(request.TimeZone).Id;
                freeze.StartDay = Day(request.StartDay, "startDay");
                freeze.StartTime = Time(request.StartTime, "startTime");
                freeze.EndDay = Day(request.EndDay, "endDay");
                freeze.EndTime = Time(request.EndTime, "endTime");
                if (freeze.StartDay == freeze.EndDay && freeze.StartTime == freeze.EndTime)
                    throw new ValidationException("endTime", "The end must differ from the start.");
                break;
            default:
                throw new ValidationException("kind", $"The kind is one of {string.Join(", ", FreezeKinds.All)}.");
        }

        freeze.Projects = Distinct(request.Projects, "projects");
        freeze.Components = Distinct(request.Components, "components");
        return freeze;
    }

    private static TimeZoneInfo Zone(string zone) =>
        FreezeCalendar.TryZone(zone, out var found)
            ? found
            : throw new ValidationException("timeZone", $"Unknown time zone '{zone.Trim()}'; use an IANA id such as Europe/Berlin or UTC.");

    /// <summary>
    /// A one-off freeze's start or end given with a time zone is a wall-clock time there (the form's
    /// date and time fields); an offset as well would say two different things.
    /// </summary>
    private static DateTimeOffset WallClock(DateTimeOffset value, TimeZoneInfo zone, string field) =>
        value.Offset == TimeSpan.Zero
            ? new DateTimeOffset(FreezeCalendar.ToUtc(value.DateTime, zone), TimeSpan.Zero)
            : throw new ValidationException(field, $"With a time zone, give {field} as a time in that zone without an offset (such as 2026-12-24T18:00).");

    private static DayOfWeek Day(string? value, string field)
    {
        var day = value?.Trim();
        if (string.IsNullOrEmpty(day)) throw new ValidationException(field, $"A weekly freeze needs {(field == "startDay" ? "a start" : "an end")} day.");
        if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || day.All(char.IsDigit))
            throw new ValidationException(field, $"'{day}' is not a day; one of {string.Join(", ", DayNames)}.");
        return parsed;
    }

    private static TimeOnly Time(string? value, string field)
    {
        var time = value?.Trim();
        if (string.IsNullOrEmpty(time)) throw new ValidationException(field, $"A weekly freeze needs {(field == "startTime" ? "a start" : "an end")} time.");
        if (!TimeOnly.TryParseExact(time, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            throw new ValidationException(field, $"'{time}' is not a time; use 24-hour HH:mm, such as 16:00.");
        return parsed;
    }

    private static List<string> Distinct(IReadOnlyList<string>? values, string field)
    {
        var list = values is null ? [] : values.Select(v => v?.Trim() ?? "").Where(v => v.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (list.Count > MaxScope) throw new ValidationException(field, $"At most {MaxScope} {field}.");
        if (list.Any(v => v.Length > 200)) throw new ValidationException(field, $"A name in {field} is at most 200 characters.");
        return list;
    }

    /// <summary>
    /// How a window reads to a person: "Fri 16:00 – Mon 08:00 Europe/Berlin", or a one-off window's two
    /// times in the zone it was entered in (UTC when none).
    /// </summary>
    public static string Describe(Freeze f)
    {
        if (f.Kind == FreezeKinds.Weekly) return $"Every {Short(f.StartDay)} {f.StartTime:HH\\:mm} – {Short(f.EndDay)} {f.EndTime:HH\\:mm} {f.TimeZone}";
        if (!FreezeCalendar.TryZone(f.TimeZone, out var zone)) return $"{f.StartsAt:yyyy-MM-dd HH:mm} – {f.EndsAt:yyyy-MM-dd HH:mm} UTC";
        DateTime? Local(DateTime? utc) => utc is { } u ? TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(u, DateTimeKind.Utc), zone) : null;
        return $"{Local(f.StartsAt):yyyy-MM-dd HH:mm} – {Local(f.EndsAt):yyyy-MM-dd HH:mm} {zone.Id}";
    }

    private static string Short(DayOfWeek? day) => day?.ToString()[..3] ?? "?";

    /// <summary>The scope as words: "everything" or "projects a, b; components c".</summary>
    public static string Scope(Freeze f)
    {
        if (f.Everything) return "everything";
        var parts = new List<string>();
        if (f.Projects.Count > 0) parts.Add($"projects {string.Join(", ", f.Projects)}");
        if (f.Components.Count > 0) parts.Add($"components {string.Join(", ", f.Components)}");
        return string.Join("; ", parts);
    }
}
