using Dashboard.Data.Freezes;

namespace Dashboard.App.Tests.Freezes;

/// <summary>Weekly windows in a time zone: DST, midnight and the week's end, end-exclusive.</summary>
public sealed class FreezeCalendarTests
{
    private static Freeze Weekly(DayOfWeek startDay, string start, DayOfWeek endDay, string end, string zone = "Europe/Berlin") => new()
    {
        Name = "w", Kind = FreezeKinds.Weekly, TimeZone = zone,
        StartDay = startDay, StartTime = TimeOnly.Parse(start), EndDay = endDay, EndTime = TimeOnly.Parse(end),
    };

    private static DateTime Utc(int y, int m, int d, int h, int min = 0) => new(y, m, d, h, min, 0, DateTimeKind.Utc);

    private static readonly Freeze Weekend = Weekly(DayOfWeek.Friday, "16:00", DayOfWeek.Monday, "08:00");

    [Fact]
    public void Weekend_KeepsItsWallClockTimes_InWinterAndInSummer()
    {
        // Winter (CET, +1): Friday 16:00 is 15:00Z, Monday 08:00 is 07:00Z.
        Assert.Equal(new FreezeWindow(Utc(2026, 11, 27, 15), Utc(2026, 11, 30, 7)), FreezeCalendar.ActiveAt(Weekend, Utc(2026, 11, 28, 12)));
        // Summer (CEST, +2): an hour earlier in UTC.
        Assert.Equal(new FreezeWindow(Utc(2026, 7, 3, 14), Utc(2026, 7, 6, 6)), FreezeCalendar.ActiveAt(Weekend, Utc(2026, 7, 4, 12)));
    }

    [Fact]
    public void Weekend_Is63Hours_WhenTheClocksGoForward_And65_WhenTheyGoBack()
    {
        var spring = FreezeCalendar.ActiveAt(Weekend, Utc(2026, 3, 29, 12))!.Value;   // clocks go forward 2026-03-29 02:00 CET
        Assert.Equal((Utc(2026, 3, 27, 15), Utc(2026, 3, 30, 6)), (spring.Start, spring.End));
        Assert.Equal(TimeSpan.FromHours(63), spring.End - spring.Start);

        var autumn = FreezeCalendar.ActiveAt(Weekend, Utc(2026, 10, 25, 12))!.Value;  // clocks go back 2026-10-25 03:00 CEST
        Assert.Equal((Utc(2026, 10, 23, 14), Utc(2026, 10, 26, 7)), (autumn.Start, autumn.End));
        Assert.Equal(TimeSpan.FromHours(65), autumn.End - autumn.Start);
    }

    [Theory]
    [InlineData(2026, 11, 27, 14, 59, false)] // Friday 15:59 Berlin
    [InlineData(2026, 11, 27, 15, 0, true)]   // Friday 16:00 Berlin: the start is inside
    [InlineData(2026, 11, 29, 23, 30, true)]  // Monday 00:30 Berlin: across midnight and the week's turn (Sunday -> Monday)
    [InlineData(2026, 11, 30, 6, 59, true)]   // Monday 07:59 Berlin
    [InlineData(2026, 11, 30, 7, 0, false)]   // Monday 08:00 Berlin: the end is outside
    [InlineData(2026, 11, 25, 12, 0, false)]  // Wednesday
    public void ActiveAt_CoversFridayToMonday_EndExclusive(int y, int m, int d, int h, int min, bool frozen) =>
        Assert.Equal(frozen, FreezeCalendar.ActiveAt(Weekend, Utc(y, m, d, h, min)) is not null);

    [Fact]
    public void AStartInTheSkippedHour_BeginsWhenThatHourWouldHaveBeen()
    {
        // Sunday 02:30 does not exist in Berlin on 2026-03-29: it starts at 03:30 CEST (01:30Z).
        var freeze = Weekly(DayOfWeek.Sunday, "02:30", DayOfWeek.Sunday, "04:00");
        var window = FreezeCalendar.ActiveAt(freeze, Utc(2026, 3, 29, 1, 45))!.Value;
        Assert.Equal((Utc(2026, 3, 29, 1, 30), Utc(2026, 3, 29, 2)), (window.Start, window.End));
        Assert.Null(FreezeCalendar.ActiveAt(freeze, Utc(2026, 3, 29, 1, 15)));
    }

    [Fact]
    public void AStartInTheRepeatedHour_IsItsFirstOccurrence()
    {
        // Sunday 02:30 happens twice in Berlin on 2026-10-25 (00:30Z in CEST, 01:30Z in CET): the first counts.
        var freeze = Weekly(DayOfWeek.Sunday, "02:30", DayOfWeek.Sunday, "05:00");
        Assert.Equal(Utc(2026, 10, 25, 0, 30), FreezeCalendar.ActiveAt(freeze, Utc(2026, 10, 25, 1))!.Value.Start);
    }

    [Fact]
    public void AnEndBeforeTheStartOnTheSameDay_WrapsToTheNextWeek()
    {
        var freeze = Weekly(DayOfWeek.Sunday, "23:00", DayOfWeek.Sunday, "01:00", "UTC");
        var window = FreezeCalendar.ActiveAt(freeze, Utc(2026, 11, 25, 12))!.Value;  // a Wednesday
        Assert.Equal((Utc(2026, 11, 22, 23), Utc(2026, 11, 29, 1)), (window.Start, window.End));
        Assert.Null(FreezeCalendar.ActiveAt(freeze, Utc(2026, 11, 29, 12)));
    }

    [Fact]
    public void Next_IsTheFirstOccurrenceStartingLater_AndNullBeyondTheHorizon()
    {
        var now = Utc(2026, 11, 24, 12); // a Tuesday
        Assert.Equal(new FreezeWindow(Utc(2026, 11, 27, 15), Utc(2026, 11, 30, 7)), FreezeCalendar.Next(Weekend, now, now.AddDays(7)));
        Assert.Null(FreezeCalendar.Next(Weekend, now, now.AddDays(2)));
        var once = new Freeze { Name = "o", Kind = FreezeKinds.Once, StartsAt = now.AddHours(1), EndsAt = now.AddHours(2) };
        Assert.Equal(new FreezeWindow(now.AddHours(1), now.AddHours(2)), FreezeCalendar.Next(once, now, now.AddDays(7)));
        Assert.Null(FreezeCalendar.ActiveAt(once, now.AddHours(2)));
    }

    [Theory]
    [InlineData("Europe/Berlin", "2026-12-24 18:00 Europe/Berlin (17:00 UTC)")]
    [InlineData("UTC", "2026-12-24 17:00 UTC")]
    [InlineData(null, "2026-12-24 17:00 UTC")]
    [InlineData("Not/AZone", "2026-12-24 17:00 UTC")]
    public void Format_ForPeople_IsInTheFreezesOwnZone_WithUtcBeside(string? zone, string expected) =>
        Assert.Equal(expected, FreezeService.Format(new DateTime(2026, 12, 24, 17, 0, 0, DateTimeKind.Utc), zone));
}
