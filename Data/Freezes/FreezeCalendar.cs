namespace Dashboard.Data.Freezes;

/// <summary>One occurrence of a freeze, UTC, end exclusive.</summary>
public readonly record struct FreezeWindow(DateTime Start, DateTime End)
{
    public bool Contains(DateTime utc) => Start <= utc && utc < End;
}

/// <summary>
/// When a freeze is in effect. Weekly windows are local days and times in an IANA zone, turned into
/// UTC occurrence by occurrence, so a window keeps its wall-clock times across DST changes (Friday
/// 16:00 to Monday 08:00 is 15:00Z to 07:00Z in winter and 14:00Z to 06:00Z in summer, and 65 hours
/// or 63/64 on the weekends the clocks change).
/// </summary>
public static class FreezeCalendar
{
    /// <summary>Occurrences that overlap [<paramref name="fromUtc"/>, <paramref name="toUtc"/>), in start order.</summary>
    public static IEnumerable<FreezeWindow> Windows(Freeze freeze, DateTime fromUtc, DateTime toUtc)
    {
        if (freeze.Kind == FreezeKinds.Once)
        {
            if (freeze.StartsAt is { } s && freeze.EndsAt is { } e && e > fromUtc && s < toUtc) yield return new FreezeWindow(s, e);
            yield break;
        }
        if (freeze is not { StartDay: { } startDay, StartTime: { } startTime, EndDay: { } endDay, EndTime: { } endTime }
            || !TryZone(freeze.TimeZone, out var zone)) yield break;

        var days = ((int)endDay - (int)startDay + 7) % 7;
        if (days == 0 && endTime <= startTime) days = 7;
        // A window is at most a week long, so one that overlaps the range started at most 8 local days before it.
        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(fromUtc, zone)).AddDays(-8);
        var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(toUtc, zone)).AddDays(1);
        for (var date = first; date <= last; date = date.AddDays(1))
        {
            if (date.DayOfWeek != startDay) continue;
            var window = new FreezeWindow(ToUtc(date.ToDateTime(startTime), zone), ToUtc(date.AddDays(days).ToDateTime(endTime), zone));
            if (window.End > fromUtc && window.Start < toUtc) yield return window;
        }
    }

    /// <summary>The occurrence in effect at <paramref name="utc"/>, if any.</summary>
    public static FreezeWindow? ActiveAt(Freeze freeze, DateTime utc)
    {
        foreach (var window in Windows(freeze, utc, utc.AddTicks(1)))
            if (window.Contains(utc)) return window;
        return null;
    }

    /// <summary>The first occurrence that starts after <paramref name="utc"/> and before <paramref name="beforeUtc"/>.</summary>
    public static FreezeWindow? Next(Freeze freeze, DateTime utc, DateTime beforeUtc)
    {
        foreach (var window in Windows(freeze, utc, beforeUtc))
            if (window.Start > utc) return window;
        return null;
    }

    public static bool TryZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id)) return false;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var found)) return false;
        zone = found;
        return true;
    }

    /// <summary>
    /// A local wall-clock time as UTC. A time the clocks skip (02:30 on a spring-forward night) is
    /// read with the offset before the change, i.e. the moment the skipped hour would have been
    /// (03:30 new time); a time that happens twice (autumn) is its first occurrence.
    /// </summary>
    public static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local)) offset = zone.GetUtcOffset(local.AddHours(-3));
        else if (zone.IsAmbiguousTime(local)) offset = zone.GetAmbiguousTimeOffsets(local).Max();
        else offset = zone.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }

    /// <summary>A UTC time as the zone's wall clock, for messages ("Mon 08:00 Europe/Berlin").</summary>
    public static DateTime ToLocal(DateTime utc, TimeZoneInfo zone) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
}
