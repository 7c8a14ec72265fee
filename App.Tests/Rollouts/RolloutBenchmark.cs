using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// Rollout figures for docs/BENCHMARKS.md (skipped unless DASHBOARD_BENCH=1):
///   DASHBOARD_BENCH=1 dotnet test App.Tests --filter RolloutBenchmark
/// Planning and statistics run on the services over a real SQLite file, and again over a throw-away
/// PostgreSQL (the scale-out database); device traffic comes from
/// wrk, a separate process, against the real app on Kestrel.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RolloutBenchmark(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static void RequireBench()
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_BENCH") != "1") Assert.Skip("A benchmark: run with DASHBOARD_BENCH=1.");
    }

    [Fact]
    public async Task Plan100kDevicesInThreePhases_AndReadStatistics()
    {
        RequireBench();
        await using var data = await DataServices.MigratedAsync();
        await PlanAndReadStatisticsAsync(data, "SQLite", SeedAcceptedDevicesOnSqliteAsync);
    }

    /// <summary>
    /// The same measurement on PostgreSQL, the scale-out database: a throw-away PostgreSQL 15 of its
    /// own (started here rather than as a class fixture, so the skipped benchmark costs the suite nothing).
    /// </summary>
    [Fact]
    public async Task Plan100kDevicesInThreePhases_AndReadStatistics_OnPostgres()
    {
        RequireBench();
        await using var postgres = new PostgresFixture();
        await postgres.InitializeAsync();
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        await using var data = await DataServices.MigratedAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });
        await PlanAndReadStatisticsAsync(data, "PostgreSQL", SeedAcceptedDevicesOnPostgresAsync);
    }

    private const int FleetSize = 100_000;

    /// <summary>
    /// Seeds <see cref="FleetSize"/> accepted devices with <paramref name="seed"/> (the only part that
    /// differs by provider), then times planning them in three phases and 300 statistics reads.
    /// </summary>
    private static async Task PlanAndReadStatisticsAsync(DataServices data, string provider, Func<DashboardDbContext, Task> seed)
    {
        await using (var db = data.CreateDb())
        {
            db.Projects.Add(new Project { Id = MenderDeviceService.ProjectId, Name = "Mender", Slug = "mender" });
            await db.SaveChangesAsync(Ct);
            await seed(db);
        }
        await RolloutServiceTests.SeedArtifactAsync(data, "bench-app", "bench-device");
        var rollouts = data.Get<RolloutService>();
        var now = data.Clock.GetUtcNow().UtcDateTime;

        var watch = Stopwatch.StartNew();
        var rollout = await rollouts.CreateAsync(new RolloutRequest
        {
            Name = "bench", ArtifactName = "bench-app", AllDevices = true,
            Phases = [new(10, null), new(40, now.AddHours(1)), new(null, now.AddHours(2))],
        }, "bench", Ct);
        var planMs = watch.Elapsed.TotalMilliseconds;
        Assert.Equal(FleetSize, rollout.DeviceCount);

        var samples = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            watch.Restart();
            var stats = await rollouts.StatisticsAsync(rollout.Id, Ct);
            samples.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal(FleetSize, stats["pending"]);
        }
        samples.Sort();
        Report($"{provider}: plan 100,000 devices, 3 phases: {planMs:0} ms (target 3000)");
        Report($"{provider}: statistics of 100,000-device rollout: median {samples[samples.Count / 2]:0.00} ms, p99 {samples[(int)(samples.Count * 0.99)]:0.00} ms (target 20)");
    }

    [Fact]
    public async Task NextWithNothingToDo_AndStatusReports_UnderWrk()
    {
        RequireBench();
        Assert.True(File.Exists("/usr/bin/wrk"), "needs wrk: apt-get install -y wrk");
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(fixture.App, device);
        var type = "bench-" + Guid.NewGuid().ToString("N")[..6];
        using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
        using var work = new TempDirectory();

        // next with nothing to do: the device is in no rollout.
        var next = await WrkAsync(work.Path, "next", "POST", "/api/devices/v2/deployments/device/deployments/next", device.Token!,
            $$$"""wrk.body = '{"device_provides":{"artifact_name":"release-0","device_type":"{{{type}}}"}}'""");
        Report($"next, nothing to do: {next}");

        // Status reports: real transitions (each one moves the device row and two counters in a
        // transaction), alternating downloading <-> installing so none is a no-op repeat.
        using var management = fixture.App.ApiClient();
        var artifact = "bench-app-" + Guid.NewGuid().ToString("N")[..6];
        var file = await MenderCommands.SingleFileArtifactAsync(work.Path, artifact, type, "/tmp/bench");
        using (await MenderCommands.UploadAsync(management, file)) { }
        var (id, _, _) = await MenderDeviceApiTests.FindAsync(management, device.Mac);
        using var created = await management.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "bench", artifact_name = artifact, devices = new[] { id } }, Ct);
        var rolloutId = created.Headers.Location!.ToString().Split('/')[^1];
        using (var handed = await device.NextAsync(type, "release-0", Ct)) Assert.Equal(HttpStatusCode.OK, handed.StatusCode);
        var status = await WrkAsync(work.Path, "status", "PUT", $"/api/devices/v1/deployments/device/deployments/{rolloutId}/status", device.Token!, AlternatingStatusScript);
        Report($"status reports (real transitions): {status}");
        var stats = await management.GetFromJsonAsync<Dictionary<string, int>>($"/api/management/v1/deployments/deployments/{rolloutId}/statistics", Ct);
        Assert.Equal(1, stats!["downloading"] + stats["installing"]);
    }

    private async Task<string> WrkAsync(string directory, string name, string method, string path, string token, string lua)
    {
        var script = Path.Combine(directory, name + ".lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "{{method}}"
            wrk.headers["Authorization"] = "Bearer {{token}}"
            wrk.headers["Content-Type"] = "application/json"
            {{lua}}
            """, Ct);
        var (code, output) = await MenderCommands.RunAsync("/usr/bin/wrk",
            ["-t2", "-c32", "-d10s", "--latency", "-s", script, fixture.App.BaseAddress.ToString().TrimEnd('/') + path]);
        Assert.True(code == 0, output);
        Assert.False(output.Contains("Non-2xx", StringComparison.Ordinal), output);
        var rate = output.Split('\n').First(l => l.TrimStart().StartsWith("Requests/sec", StringComparison.Ordinal)).Split(':')[1].Trim();
        var p99 = output.Split('\n').First(l => l.TrimStart().StartsWith("99%", StringComparison.Ordinal)).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var p50 = output.Split('\n').First(l => l.TrimStart().StartsWith("50%", StringComparison.Ordinal)).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{rate} req/s, p50 {p50}, p99 {p99} (wrk -t2 -c32 -d10s)";
    }

    /// <summary>wrk's Lua for status reports that are all real transitions: downloading and installing in turn.</summary>
    internal const string AlternatingStatusScript = """
        local n = 0
        request = function()
          n = n + 1
          local s = (n % 2 == 0) and "installing" or "downloading"
          return wrk.format(nil, nil, nil, '{"status":"' .. s .. '"}')
        end
        """;

    private static void Report(string line)
    {
        TestContext.Current.SendDiagnosticMessage(line);
        File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "rollout-benchmark.txt"), $"{DateTime.UtcNow:O} {line}\n");
    }

    /// <summary>
    /// The seeded fleet, one row per device, the same on both providers: accepted, active, of type
    /// bench-device, no tags, created and updated at the fake clock's start.
    /// </summary>
    private static IEnumerable<(string Id, string IdentityData)> BenchDevices() =>
        Enumerable.Range(0, FleetSize).Select(i => ($"bench-{i:D6}", $"{{\"mac\":\"bench-{i:D6}\"}}"));

    private static readonly DateTime SeededAt = new(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>In one transaction with a prepared INSERT (EF would take minutes).</summary>
    private static async Task SeedAcceptedDevicesOnSqliteAsync(DashboardDbContext db)
    {
        await db.Database.OpenConnectionAsync(Ct);
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction.GetDbTransaction();
        command.CommandText = """
            INSERT INTO "Devices" ("Id", "ProjectId", "Hostname", "State", "Tags", "DeviceType", "AuthStatus", "IdentityData", "CreatedAt", "UpdatedAt")
            VALUES ($id, 'mender', $id, 'active', '[]', 'bench-device', 'accepted', $identity, $at, $at)
            """;
        var id = command.Parameters.Add(new SqliteParameter("$id", ""));
        var identity = command.Parameters.Add(new SqliteParameter("$identity", ""));
        // The text form EF writes for DateTime on SQLite.
        command.Parameters.Add(new SqliteParameter("$at", SeededAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)));
        await command.PrepareAsync(Ct);
        foreach (var device in BenchDevices())
        {
            id.Value = device.Id;
            identity.Value = device.IdentityData;
            await command.ExecuteNonQueryAsync(Ct);
        }
        await transaction.CommitAsync(Ct);
    }

    /// <summary>
    /// With binary COPY, then ANALYZE: a fleet this size would have been analysed by autovacuum long
    /// before anyone planned a rollout over it, and the planner should see it as it would in production.
    /// </summary>
    private static async Task SeedAcceptedDevicesOnPostgresAsync(DashboardDbContext db)
    {
        await db.Database.OpenConnectionAsync(Ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY "Devices" ("Id", "ProjectId", "Hostname", "State", "Tags", "DeviceType", "AuthStatus", "IdentityData", "CreatedAt", "UpdatedAt")
            FROM STDIN (FORMAT BINARY)
            """, Ct))
        {
            foreach (var device in BenchDevices())
            {
                await writer.StartRowAsync(Ct);
                await writer.WriteAsync(device.Id, NpgsqlDbType.Varchar, Ct);
                await writer.WriteAsync(MenderDeviceService.ProjectId, NpgsqlDbType.Varchar, Ct);
                await writer.WriteAsync(device.Id, NpgsqlDbType.Varchar, Ct);
                await writer.WriteAsync(DeviceStates.Active, NpgsqlDbType.Varchar, Ct);
                await writer.WriteAsync(Array.Empty<string>(), NpgsqlDbType.Array | NpgsqlDbType.Text, Ct);
                await writer.WriteAsync("bench-device", NpgsqlDbType.Text, Ct);
                await writer.WriteAsync(MenderAuthStatuses.Accepted, NpgsqlDbType.Varchar, Ct);
                await writer.WriteAsync(device.IdentityData, NpgsqlDbType.Text, Ct);
                await writer.WriteAsync(SeededAt, NpgsqlDbType.TimestampTz, Ct);
                await writer.WriteAsync(SeededAt, NpgsqlDbType.TimestampTz, Ct);
            }
            await writer.CompleteAsync(Ct);
        }
        await db.Database.ExecuteSqlRawAsync("""ANALYZE "Devices" """, Ct);
    }
}
