using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data;

public sealed class FleetImporterTests
{
    private static string DemoFleet => Path.Combine(AppContext.BaseDirectory, "demo-fleet.json");

    [Fact]
    public async Task ImportFile_IsIdempotent_WhenTheSameFileIsImportedTwice()
    {
        await using var services = await DataServices.MigratedAsync();
        var importer = services.Get<FleetImporter>();
        var ct = TestContext.Current.CancellationToken;

        var first = await importer.ImportFileAsync(DemoFleet, ct);
        await importer.ImportFileAsync(DemoFleet, ct);

        await using var db = services.CreateDb();
        Assert.Equal(first.Devices, await db.Devices.CountAsync(ct));
        Assert.Equal(first.Facilities, await db.Facilities.CountAsync(ct));
        var sjc1 = (await services.Get<FleetCapacityService>().LinesAsync(ct)).Single(c => c.Facility == "sjc1" && c.Plan == "c1.small.x86");
        // The demo fleet has one device of its own there.
        Assert.Equal((8, 1, 7, 0.04), (sjc1.Total, sjc1.Used, sjc1.Available, sjc1.SpotPrice));
        Assert.Equal("default", (await db.Projects.SingleAsync(p => p.Name == "Default", ct)).Slug);
        // The one timeline entry says what the first import added, in English plurals.
        var details = (await db.Timeline.SingleAsync(e => e.Title.StartsWith("Fleet imported"), ct)).Details;
        Assert.Contains($"{first.Facilities} facilities added", details, StringComparison.Ordinal);
        Assert.Contains($"{first.Devices} devices added", details, StringComparison.Ordinal);
        // What the start-up log line prints.
        Assert.StartsWith($"2 projects, {first.Plans} plans, ", first.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", first.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ChangesNothing_WhenAFacilityNamesAnUnknownPlan()
    {
        await using var services = await DataServices.MigratedAsync();
        var ct = TestContext.Current.CancellationToken;
        var file = new FleetFile
        {
            Plans = [new FleetPlan { Slug = "p1", Name = "P1" }],
            Facilities = [new FleetFacility { Code = "x1", Name = "X", Metro = "x", Capacity = new() { ["nope"] = 3 } }],
        };

        var error = await Assert.ThrowsAsync<ValidationException>(() => services.Get<FleetImporter>().ImportAsync(file, "test", ct));

        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
        await using var db = services.CreateDb();
        Assert.False(await db.Plans.AnyAsync(ct));
        Assert.False(await db.Timeline.AnyAsync(ct));
    }

    [Fact]
    public async Task ImportFile_ReportsTheFile_WhenItIsNotJson()
    {
        await using var services = await DataServices.MigratedAsync();
        var path = Path.Combine(services.DataDirectory, "broken.json");
        await File.WriteAllTextAsync(path, "{ not json", TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<ValidationException>(() => services.Get<FleetImporter>().ImportFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Contains("broken.json", error.Message, StringComparison.Ordinal);
    }
}
