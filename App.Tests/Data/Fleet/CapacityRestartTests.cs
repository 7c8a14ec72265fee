using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;

namespace Dashboard.App.Tests.Data.Fleet;

/// <summary>
/// Issue 7's bug as a user met it: with a fleet file of 24 ewr1 servers, a batch of 10 leaves 14,
/// and 14 it stays through a restart on the same data and file, and through a SIGKILL mid-provisioning.
/// On the embedded SQLite file and on PostgreSQL.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CapacityRestartTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Project = "cap-project";
    private const string Plan = "c1.small.x86";

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Capacity_StaysTrue_WhenTheAppRestartsWithTheSameFleetFile(string provider)
    {
        using var data = new TempDirectory();
        var settings = Settings(provider, data.Path);
        string id;

        await using (var first = new DashboardApp(data.Path, settings).Start())
        {
            using var client = first.ApiClient("X-Auth-Token");
            id = await SubmitAsync(client, "r{{index}}", 10);
            Assert.Equal(BatchStates.Completed, (await first.WaitForFinishedBatchAsync(id)).State);
            Assert.Equal(14, await AvailableAsync(client));
        }

        await using var second = new DashboardApp(data.Path, settings).Start();
        using var secondClient = second.ApiClient("X-Auth-Token");
        Assert.Equal(14, await AvailableAsync(secondClient));
        var line = (await second.Service<FleetCapacityService>().LinesAsync(TestContext.Current.CancellationToken)).Single(l => l.Facility == "ewr1" && l.Plan == Plan);
        Assert.Equal((24, 10), (line.Total, line.Used));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Capacity_UsedEqualsDevicesPlaced_AfterASigkillDuringProvisioning_AndTheBatchCompletes(string provider)
    {
        using var data = new TempDirectory();
        var settings = Settings(provider, data.Path);
        string id;

        // A separate process whose devices take a minute each: killed while the batch is in progress.
        await using (var doomed = await AppProcess.StartAsync(new Dictionary<string, string?>(settings) { ["Dashboard:Provisioner:DelayMs"] = "60000" }))
        {
            using var client = doomed.ApiClient();
            id = await SubmitAsync(client, "k{{index}}", 12);
            await UntilInProgressAsync(client, id, doomed);
            await doomed.KillAsync();
        }

        await using var restarted = new DashboardApp(data.Path, settings).Start();
        var batch = await restarted.WaitForFinishedBatchAsync(id);
        var ct = TestContext.Current.CancellationToken;
        var detail = (await restarted.Service<BatchService>().GetAsync(id, ct))!;
        Assert.Equal(BatchStates.Completed, batch.State);
        Assert.Equal(12, detail.Devices.Select(d => d.Hostname).Distinct().Count());
        Assert.All(detail.Devices, d => Assert.Equal(DeviceStates.Active, d.State));
        using var restartedClient = restarted.ApiClient("X-Auth-Token");
        Assert.Equal(24 - 12, await AvailableAsync(restartedClient));
        var line = (await restarted.Service<FleetCapacityService>().LinesAsync(ct)).Single(l => l.Facility == "ewr1" && l.Plan == Plan);
        Assert.Equal((24, 12), (line.Total, line.Used));
    }

    private Dictionary<string, string?> Settings(string provider, string dataDirectory)
    {
        var fleetFile = Path.Combine(dataDirectory, "fleet.json");
        File.WriteAllText(fleetFile, JsonSerializer.Serialize(new FleetFile
        {
            Projects = [new FleetProject { Id = Project, Name = "Capacity" }],
            Plans = [new FleetPlan { Slug = Plan, Name = "Type 1", HourlyPrice = 0.4 }],
            OperatingSystems = [new FleetOperatingSystem { Slug = "debian_12", Name = "Debian 12" }],
            Facilities =
            [
                new FleetFacility { Code = "ewr1", Name = "Parsippany", Metro = "ny", Capacity = { [Plan] = 24 } },
                new FleetFacility { Code = "dfw1", Name = "Dallas", Metro = "da", Capacity = { [Plan] = 50 } },
            ],
        }));
        var settings = new Dictionary<string, string?>
        {
            ["Dashboard:DataDirectory"] = dataDirectory,
            ["Dashboard:FleetFile"] = fleetFile,
            ["Dashboard:Demo"] = "false",
        };
        if (provider == "postgres")
        {
            if (postgres.Unavailable is { } why) Assert.Skip(why);
            settings["Dashboard:DatabaseProvider"] = "postgres";
            settings["Dashboard:ConnectionString"] = postgres.NewDatabase();
        }
        return settings;
    }

    private static async Task<string> SubmitAsync(HttpClient client, string hostname, int quantity)
    {
        var response = await client.PostAsync($"/projects/{Project}/devices/batch", new StringContent(
            $$"""{"batches":[{"hostname":"{{hostname}}","plan":"{{Plan}}","operating_system":"debian_12","facility":"ewr1","quantity":{{quantity}}}]}""",
            Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("batches")[0].GetProperty("id").GetString()!;
    }

    /// <summary>What <c>GET /capacity</c> says ewr1 has available of the plan.</summary>
    private static async Task<int> AvailableAsync(HttpClient client)
    {
        var capacity = await client.GetFromJsonAsync<JsonElement>("/capacity", TestContext.Current.CancellationToken);
        return capacity.GetProperty("capacity").GetProperty("ewr1").GetProperty(Plan).GetProperty("available").GetInt32();
    }

    /// <summary>
    /// The other process's state can only be asked for; this asks its API until the batch is placed
    /// (a bounded wait on another program, not on time-based logic of ours).
    /// </summary>
    private static async Task UntilInProgressAsync(HttpClient client, string id, AppProcess app)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            do
            {
                var batch = await client.GetFromJsonAsync<JsonElement>($"/batches/{id}", limit.Token);
                if (batch.GetProperty("state").GetString() == BatchStates.InProgress) return;
            }
            while (await ticks.WaitForNextTickAsync(limit.Token));
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"batch {id} never started in the app process:\n{app.Output}");
        }
    }
}
