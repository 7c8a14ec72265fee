using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Batches;

public sealed class BatchServiceTests
{
    public const string ProjectId = "p-1";

    /// <summary>The seed's fleet: SJC1 7, EWR1 24, DFW1 50 of c1.small.x86, with spot prices.</summary>
    public static FleetFile SeedFleet() => new()
    {
        Projects = [new FleetProject { Id = ProjectId, Name = "Test" }],
        Plans = [new FleetPlan { Slug = "c1.small.x86", Name = "Type 1", HourlyPrice = 0.4 }],
        OperatingSystems = [new FleetOperatingSystem { Slug = "ubuntu_16_04", Name = "Ubuntu 16.04" }],
        Facilities =
        [
            new FleetFacility { Code = "sjc1", Name = "Sunnyvale", Metro = "sv", Capacity = { ["c1.small.x86"] = 7 }, SpotPrice = { ["c1.small.x86"] = 0.04 } },
            new FleetFacility { Code = "ewr1", Name = "Parsippany", Metro = "ny", Capacity = { ["c1.small.x86"] = 24 }, SpotPrice = { ["c1.small.x86"] = 0.05 } },
            new FleetFacility { Code = "dfw1", Name = "Dallas", Metro = "da", Capacity = { ["c1.small.x86"] = 50 }, SpotPrice = { ["c1.small.x86"] = 0.06 } },
        ],
    };

    public static async Task<DataServices> SeededAsync(double failureRate = 0, IProvisioner? provisioner = null, IDictionary<string, string?>? settings = null)
    {
        var services = await DataServices.MigratedAsync(s =>
        {
            s.AddSingleton(new ProvisionerSettings { DelayMs = 0, FailureRate = failureRate, Seed = 7 });
            if (provisioner is not null) s.AddSingleton(provisioner);
        }, settings);
        await services.Get<FleetImporter>().ImportAsync(SeedFleet(), "test");
        return services;
    }

    public static BatchRequest Request(int quantity, string hostname = "web{{index}}", params string[] facilities) => new()
    {
        Hostname = hostname, Plan = "c1.small.x86", OperatingSystem = "ubuntu_16_04",
        Facilities = facilities.Length == 0 ? ["any"] : [.. facilities], Quantity = quantity, Tags = ["t1"],
    };

    public static async Task<Dictionary<string, int>> AvailableAsync(DataServices services) =>
        (await services.Get<FleetCapacityService>().LinesAsync(TestContext.Current.CancellationToken)).ToDictionary(c => c.Facility, c => c.Available);

    [Fact]
    public async Task Submit_QueuesTheBatch_AndProcess_PlacesProvisionsAndCompletesIt()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;

        var request = Request(25, "node{{index}}", "sjc1", "ewr1", "any");
        request.FacilityDiversityLevel = 2;
        var submitted = Assert.Single(await batches.SubmitAsync(ProjectId, [request], "alice", ct));
        Assert.Equal(BatchStates.Queued, submitted.State);
        var work = Assert.Single(Assert.IsType<RecordingWorkScheduler>(services.Get<IWorkScheduler>()).Enqueued);
        Assert.Equal(new WorkItem(BatchRunner.WorkKind, submitted.Id, $"Provision batch {submitted.Id[..8]}: 25 c1.small.x86 devices"), work);

        await runner.RunAsync(submitted.Id, ct);

        var detail = (await batches.GetAsync(submitted.Id, ct))!;
        Assert.Equal(BatchStates.Completed, detail.Batch.State);
        Assert.Empty(detail.Batch.ErrorMessages);
        Assert.Equal(25, detail.Devices.Count);
        Assert.All(detail.Devices, d => Assert.Equal(DeviceStates.Active, d.State));
        Assert.Equal("node1", detail.Devices[0].Hostname);
        Assert.Equal(7, detail.Devices.Count(d => d.FacilityCode == "sjc1"));
        Assert.Equal(18, detail.Devices.Count(d => d.FacilityCode == "ewr1"));
        Assert.Equal(new Dictionary<string, int> { ["sjc1"] = 0, ["ewr1"] = 6, ["dfw1"] = 50 }, await AvailableAsync(services));

        var timeline = await services.Get<TimelineService>().RecentAsync(new TimelineFilter(Source: TimelineSources.Batches), 10, ct);
        Assert.Equal([TimelineStatuses.Succeeded, TimelineStatuses.InProgress, TimelineStatuses.Pending], timeline.Select(e => e.Status));
        Assert.All(timeline, e => Assert.Equal(submitted.Id, e.SubjectId));
    }

    [Fact]
    public async Task Process_IsHarmless_WhenRunAgainOnAFinishedBatch()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(3)], "alice", ct));

        await runner.RunAsync(batch.Id, ct);
        await runner.RunAsync(batch.Id, ct);

        Assert.Equal(3, (await batches.GetAsync(batch.Id, ct))!.Devices.Count);
        Assert.Equal(47, (await AvailableAsync(services))["dfw1"]);
    }

    [Fact]
    public async Task Process_FailsTheBatch_WithTheAvailabilityOfEachFacility_WhenItCannotBePlaced()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(40, "web{{index}}", "sjc1", "ewr1")], "alice", ct));

        await runner.RunAsync(batch.Id, ct);

        var detail = (await batches.GetAsync(batch.Id, ct))!;
        Assert.Equal(BatchStates.Failed, detail.Batch.State);
        Assert.Equal(["Cannot place 40 devices: sjc1 has 7 available, ewr1 has 24 available."], detail.Batch.ErrorMessages);
        Assert.Empty(detail.Devices);
        Assert.Equal(new Dictionary<string, int> { ["sjc1"] = 7, ["ewr1"] = 24, ["dfw1"] = 50 }, await AvailableAsync(services));
    }

    [Fact]
    public async Task Process_FailsTheBatch_WithAReasonPerDevice_AndKeepsTheDevicesThatWereCreated()
    {
        await using var services = await SeededAsync(failureRate: 0.3);
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(20, "web{{index}}", "dfw1")], "alice", ct));

        await runner.RunAsync(batch.Id, ct);

        var detail = (await batches.GetAsync(batch.Id, ct))!;
        Assert.Equal(BatchStates.Failed, detail.Batch.State);
        Assert.NotEmpty(detail.Batch.ErrorMessages);
        Assert.Equal(20, detail.Batch.ErrorMessages.Count + detail.Devices.Count);
        Assert.All(detail.Devices, d => Assert.Equal(DeviceStates.Active, d.State));
        Assert.All(detail.Batch.ErrorMessages, m => Assert.Matches(@"^web\d+ \(dfw1\): ", m));
        // Capacity of devices that were not created goes back.
        Assert.Equal(50 - detail.Devices.Count, (await AvailableAsync(services))["dfw1"]);
    }

    [Fact]
    public async Task Provisioner_FailsTheSameDevices_UnderTheSameSeed()
    {
        var settings = new ProvisionerSettings { DelayMs = 0, FailureRate = 0.5, Seed = 42 };
        var first = new SimulatedProvisioner(settings, TimeProvider.System);
        var second = new SimulatedProvisioner(settings, TimeProvider.System);
        var names = Enumerable.Range(1, 50).Select(i => $"h{i}").ToList();
        var ct = TestContext.Current.CancellationToken;

        async Task<List<bool>> Run(SimulatedProvisioner p, IEnumerable<string> hosts) =>
            [.. await Task.WhenAll(hosts.Select(async h => (await p.ProvisionAsync(new ProvisionRequest(h, h, "f", "p", "o"), ct)).Succeeded))];

        var a = await Run(first, names);
        var b = await Run(second, names);
        Assert.Equal(a, b);
        Assert.InRange(a.Count(ok => !ok), 10, 40);
    }

    [Fact]
    public async Task ConcurrentBatches_NeverOverbookAFacility()
    {
        await using var services = await SeededAsync();
        await TenConcurrentBatchesIntoRoomForFourAsync(services);
    }

    /// <summary>Ten batches of 5 all want ewr1, which has room for 24: four fit, six cannot, nothing is overbooked.</summary>
    internal static async Task TenConcurrentBatchesIntoRoomForFourAsync(DataServices services)
    {
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var submitted = new List<Batch>();
        for (var i = 0; i < 10; i++)
            submitted.AddRange(await batches.SubmitAsync(ProjectId, [Request(5, $"b{i}-{{{{index}}}}", "ewr1")], "alice", ct));

        await Task.WhenAll(submitted.Select(b => Task.Run(() => runner.RunAsync(b.Id, ct), ct)));

        var states = new List<string>();
        foreach (var b in submitted) states.Add((await batches.GetAsync(b.Id, ct))!.Batch.State);
        Assert.Equal(4, states.Count(s => s == BatchStates.Completed));
        Assert.Equal(6, states.Count(s => s == BatchStates.Failed));
        Assert.Equal(4, (await AvailableAsync(services))["ewr1"]);
        await using var db = services.CreateDb();
        Assert.Equal(20, await db.Devices.CountAsync(d => d.FacilityCode == "ewr1", ct));
    }

    [Fact]
    public async Task Submit_WritesNothing_WhenAnyBatchOfTheRequestIsInvalid()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var bad = Request(2, "db{{indx}}");

        var error = await Assert.ThrowsAsync<ValidationException>(() => batches.SubmitAsync(ProjectId, [Request(2), bad], "alice", ct));

        Assert.Equal("hostname", error.Field);
        Assert.StartsWith("batches[1]: ", error.Message, StringComparison.Ordinal);
        await using var db = services.CreateDb();
        Assert.Equal(0, await db.Batches.CountAsync(ct));
        Assert.Equal(0, await db.Timeline.CountAsync(e => e.Source == TimelineSources.Batches, ct));
    }

    [Fact]
    public async Task Submit_RejectsHostnamesOfAQueuedBatch_AndOfExistingDevices()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var first = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(2)], "alice", ct));

        var queued = await Assert.ThrowsAsync<ValidationException>(() => batches.SubmitAsync(ProjectId, [Request(3)], "bob", ct));
        await runner.RunAsync(first.Id, ct);
        var existing = await Assert.ThrowsAsync<ValidationException>(() => batches.SubmitAsync(ProjectId, [Request(1, "web2")], "bob", ct));

        Assert.Equal("hostname 'web1' is already used in this project.", queued.Message);
        Assert.Equal("hostname 'web2' is already used in this project.", existing.Message);
    }

    [Fact]
    public async Task Submit_Throws_NotFound_ForAnUnknownProject()
    {
        await using var services = await SeededAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => services.Get<BatchService>().SubmitAsync("nope", [Request(1, "x")], "alice", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Delete_RemovesTheDevicesAndReturnsTheirCapacity_WhenAsked()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var keep = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(2, "keep{{index}}", "sjc1")], "alice", ct));
        var remove = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(3, "drop{{index}}", "sjc1")], "alice", ct));
        await runner.RunAsync(keep.Id, ct);
        await runner.RunAsync(remove.Id, ct);

        await batches.DeleteAsync(keep.Id, removeDevices: false, "alice", ct);
        await batches.DeleteAsync(remove.Id, removeDevices: true, "alice", ct);

        Assert.Null(await batches.GetAsync(keep.Id, ct));
        Assert.Equal(5, (await AvailableAsync(services))["sjc1"]);
        await using var db = services.CreateDb();
        Assert.Equal(["keep1", "keep2"], await db.Devices.Where(d => d.FacilityCode == "sjc1").OrderBy(d => d.Hostname).Select(d => d.Hostname).ToListAsync(ct));
        await Assert.ThrowsAsync<NotFoundException>(() => batches.DeleteAsync(keep.Id, false, "alice", ct));
    }

    [Fact]
    public async Task Process_FailsTheBatchAndReleasesNothing_WhenAHostnameWasTakenMeanwhile()
    {
        await using var services = await SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(ProjectId, [Request(3, "race{{index}}", "sjc1")], "alice", ct));
        await using (var db = services.CreateDb())
        {
            db.Devices.Add(new Device { Id = "other", ProjectId = ProjectId, Hostname = "race2", FacilityCode = "dfw1" });
            await db.SaveChangesAsync(ct);
        }

        await runner.RunAsync(batch.Id, ct);

        var detail = (await batches.GetAsync(batch.Id, ct))!;
        Assert.Equal(BatchStates.Failed, detail.Batch.State);
        Assert.Equal(["A hostname of this batch was taken by another device in the project meanwhile."], detail.Batch.ErrorMessages);
        Assert.Empty(detail.Devices);
        Assert.Equal(7, (await AvailableAsync(services))["sjc1"]);
    }

    [Fact]
    public void StateMachine_AllowsOnlyTheDocumentedTransitions()
    {
        Assert.True(BatchStateMachine.CanMove(BatchStates.Queued, BatchStates.InProgress));
        Assert.True(BatchStateMachine.CanMove(BatchStates.Queued, BatchStates.Failed));
        Assert.True(BatchStateMachine.CanMove(BatchStates.InProgress, BatchStates.Completed));
        Assert.False(BatchStateMachine.CanMove(BatchStates.Queued, BatchStates.Completed));
        Assert.False(BatchStateMachine.CanMove(BatchStates.Completed, BatchStates.Failed));
        Assert.False(BatchStateMachine.CanMove(BatchStates.Failed, BatchStates.InProgress));
    }
}
