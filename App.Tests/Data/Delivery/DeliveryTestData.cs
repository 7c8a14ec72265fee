using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;

namespace Dashboard.App.Tests.Data.Delivery;

/// <summary>
/// A week of known changes, for a clock at 2026-11-22 12:00 UTC (the <see cref="DataServices"/> clock):
/// api deploys 4 times (2 failures in a row, restored 2 h after the first), web 3 times in the week
/// (failing now) plus once ten days ago, and a canceled and an open change that are not deployments.
/// </summary>
internal static class DeliveryTestData
{
    public static async Task SeedAsync(DataServices data)
    {
        await using var db = data.CreateDb();
        db.Changes.AddRange(
            Change("api", ChangeStatuses.Success, "11-20 10:00", "11-20 10:10"),
            Change("api", ChangeStatuses.Failure, "11-21 09:00", "11-21 09:20"),
            Change("api", ChangeStatuses.Failure, "11-21 10:00", "11-21 10:05"),
            Change("api", ChangeStatuses.Success, "11-21 11:00", "11-21 11:20"),
            Change("web", ChangeStatuses.Success, "11-22 08:00", "11-22 08:30"),
            Change("web", ChangeStatuses.Failure, "11-22 09:00", "11-22 09:02"),
            Change("web", ChangeStatuses.Canceled, "11-22 09:30", "11-22 10:00"),
            Change("web", ChangeStatuses.InProgress, "11-22 11:00", null),
            Change("web", ChangeStatuses.Success, "11-12 10:00", "11-12 11:00"),
            Change("web", ChangeStatuses.Success, "11-19 12:00", "11-19 12:00", startMissing: true));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private static Change Change(string component, string status, string started, string? ended, bool startMissing = false) => new()
    {
        Id = Guid.CreateVersion7(),
        Component = component,
        Version = started,
        MatchKey = Guid.NewGuid().ToString("N"),
        Status = status,
        StartedAt = At(started),
        EndedAt = ended is null ? null : At(ended),
        StartMissing = startMissing,
        UpdatedAt = At(ended ?? started),
    };

    private static DateTime At(string monthDayTime) =>
        DateTime.SpecifyKind(DateTime.ParseExact("2026-" + monthDayTime, "yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
