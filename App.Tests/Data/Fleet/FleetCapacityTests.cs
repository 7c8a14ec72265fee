using Dashboard.App.Tests.Batches;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data.Fleet;

/// <summary>available = total − devices holding servers, through everything that touches either (docs/decisions/0007).</summary>
public sealed class FleetCapacityTests
{
    private const string Plan = "c1.small.x86";

    private static async Task<CapacityLine> LineAsync(DataServices services, string facility) =>
        (await services.Get<FleetCapacityService>().LinesAsync(TestContext.Current.CancellationToken)).Single(l => l.Facility == facility && l.Plan == Plan);

    private static async Task<Batch> ProvisionAsync(DataServices services, int quantity, string hostname, string facility)
    {
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await services.Get<BatchService>().SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(quantity, hostname, facility)], "alice", ct));
        await services.Get<BatchRunner>().RunAsync(batch.Id, ct);
        return batch;
    }

    private static FleetFile SeedWithEwr1(int total)
    {
        var file = BatchServiceTests.SeedFleet();
        file.Facilities.Single(f => f.Code == "ewr1").Capacity[Plan] = total;
        return file;
    }

    private static async Task<List<TimelineEntry>> FleetEntriesAsync(DataServices services) =>
        await services.Get<TimelineService>().RecentAsync(TimelineFilter.None, 500, TestContext.Current.CancellationToken) is var all
            ? [.. all.Where(e => e.SubjectType == SubjectKinds.Fleet)]
            : [];

    [Fact]
    public async Task Reimport_OfTheSameFile_LeavesAvailableUnchanged_AndRecordsNothing()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        await ProvisionAsync(services, 10, "web{{index}}", "ewr1");
        Assert.Equal((24, 10, 14), await LineAsync(services, "ewr1") is var l ? (l.Total, l.Used, l.Available) : default);

        var result = await services.Get<FleetImporter>().ImportAsync(BatchServiceTests.SeedFleet(), "test", TestContext.Current.CancellationToken);

        Assert.Empty(result.Changes);
        Assert.Equal(14, (await LineAsync(services, "ewr1")).Available);
        Assert.Single(await FleetEntriesAsync(services));
    }

    [Fact]
    public async Task Reimport_WithALargerTotal_AddsToWhatIsAvailable_WithOneEntrySayingWhatChanged()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        await ProvisionAsync(services, 10, "web{{index}}", "ewr1");

        var result = await services.Get<FleetImporter>().ImportAsync(SeedWithEwr1(30), "fleet.json", TestContext.Current.CancellationToken);

        Assert.Equal(["ewr1 c1.small.x86 total 24 → 30"], result.Changes);
        Assert.Equal((30, 10, 20), await LineAsync(services, "ewr1") is var l ? (l.Total, l.Used, l.Available) : default);
        var entry = (await FleetEntriesAsync(services))[0];
        Assert.Equal("Fleet file fleet.json changed: ewr1 c1.small.x86 total 24 → 30", entry.Title);
    }

    [Fact]
    public async Task Reimport_WithATotalBelowWhatIsUsed_ShowsOverCommitment_AndPlacesNothingThere()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        await ProvisionAsync(services, 10, "web{{index}}", "ewr1");

        var result = await services.Get<FleetImporter>().ImportAsync(SeedWithEwr1(6), "fleet.json", TestContext.Current.CancellationToken);

        Assert.Equal(["ewr1 c1.small.x86 total 24 → 6, over-committed: 10 in use"], result.Changes);
        var line = await LineAsync(services, "ewr1");
        Assert.Equal((6, 10, 0, 4), (line.Total, line.Used, line.Available, line.OverCommitted));
        var refused = await ProvisionAsync(services, 1, "late", "ewr1");
        Assert.Equal(BatchStates.Failed, (await services.Get<BatchService>().GetAsync(refused.Id, TestContext.Current.CancellationToken))!.Batch.State);
        Assert.Equal(10, (await LineAsync(services, "ewr1")).Used);
    }

    [Fact]
    public async Task FleetPageEdit_OfTheTotal_StandsThroughAReimportOfTheSameFile_UntilTheFileChangesIt()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var importer = services.Get<FleetImporter>();
        var ct = TestContext.Current.CancellationToken;
        await ProvisionAsync(services, 4, "web{{index}}", "ewr1");

        await services.Get<FleetCapacityService>().SetTotalAsync("ewr1", Plan, 30, 0.05, null, "admin", ct);
        await importer.ImportAsync(BatchServiceTests.SeedFleet(), "test", ct);
        Assert.Equal((30, 4, 26), await LineAsync(services, "ewr1") is var edited ? (edited.Total, edited.Used, edited.Available) : default);

        await importer.ImportAsync(SeedWithEwr1(40), "test", ct);
        Assert.Equal((40, 36), await LineAsync(services, "ewr1") is var changed ? (changed.Total, changed.Available) : default);
    }

    [Fact]
    public async Task SetTotal_RejectsANegativeTotal_AndChangesNothing()
    {
        await using var services = await BatchServiceTests.SeededAsync();

        var error = await Assert.ThrowsAsync<ValidationException>(() =>
            services.Get<FleetCapacityService>().SetTotalAsync("ewr1", Plan, -1, null, null, "admin", TestContext.Current.CancellationToken));

        Assert.Equal("total", error.Field);
        Assert.Equal(24, (await LineAsync(services, "ewr1")).Total);
    }

    [Fact]
    public async Task DeletingABatch_ReleasesItsServers_OnlyWhenItsDevicesGoToo()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var batches = services.Get<BatchService>();
        var ct = TestContext.Current.CancellationToken;
        var kept = await ProvisionAsync(services, 3, "keep{{index}}", "dfw1");
        var removed = await ProvisionAsync(services, 5, "drop{{index}}", "dfw1");
        Assert.Equal(42, (await LineAsync(services, "dfw1")).Available);

        await batches.DeleteAsync(kept.Id, removeDevices: false, "alice", ct);
        Assert.Equal(42, (await LineAsync(services, "dfw1")).Available);
        await batches.DeleteAsync(removed.Id, removeDevices: true, "alice", ct);
        Assert.Equal((50, 3, 47), await LineAsync(services, "dfw1") is var l ? (l.Total, l.Used, l.Available) : default);
    }

    [Fact]
    public async Task AFailedDevice_ReleasesItsServer()
    {
        await using var services = await BatchServiceTests.SeededAsync(provisioner: new FailingProvisioner("f2", "f4"));

        var batch = await ProvisionAsync(services, 5, "f{{index}}", "sjc1");

        var detail = (await services.Get<BatchService>().GetAsync(batch.Id, TestContext.Current.CancellationToken))!;
        Assert.Equal(BatchStates.Failed, detail.Batch.State);
        Assert.Equal(["f1", "f3", "f5"], detail.Devices.Select(d => d.Hostname));
        Assert.Equal((7, 3, 4), await LineAsync(services, "sjc1") is var l ? (l.Total, l.Used, l.Available) : default);
    }

    [Fact]
    public async Task AddDevices_RefusesToOverbook_EvenWhenACallerPlacedWrongly()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var db = services.CreateDb();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var available = await FleetCapacityService.ClaimAsync(db, Plan, ct);
        var devices = Enumerable.Range(1, 8).Select(i => new Device
        {
            Id = $"d{i}", ProjectId = BatchServiceTests.ProjectId, Hostname = $"over{i}", FacilityCode = "sjc1", PlanSlug = Plan, State = DeviceStates.Provisioning,
        }).ToList();

        var error = await Assert.ThrowsAsync<ConflictException>(() => FleetCapacityService.AddDevicesAsync(db, devices, ct));

        Assert.Equal(7, available.Single(a => a.Code == "sjc1").Available);
        Assert.Equal("sjc1 has 7 c1.small.x86 available, not 8.", error.Message);
    }

    private sealed class FailingProvisioner(params string[] failing) : IProvisioner
    {
        public Task<ProvisionResult> ProvisionAsync(ProvisionRequest device, CancellationToken ct) =>
            Task.FromResult(failing.Contains(device.Hostname) ? new ProvisionResult(false, $"{device.Hostname}: no power") : ProvisionResult.Ok);
    }
}
