using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Crash;

/// <summary>How big a crash run is: the CI size and the benchmark size of issue 12.</summary>
/// <param name="KillAfterMs">After each start (once work resumed), the kill comes at a random moment in this range.</param>
public sealed record CrashSize(int Devices, int BatchDevices, int Kills, int ProvisionParallelism, int ProvisionDelayMs, TimeSpan PhaseGap, int DeviceWorkers, int EventWorkers, (int Min, int Max) KillAfterMs)
{
    public static readonly CrashSize Ci = new(Devices: 100, BatchDevices: 20, Kills: 5, ProvisionParallelism: 1, ProvisionDelayMs: 300, PhaseGap: TimeSpan.FromSeconds(6),
        DeviceWorkers: 8, EventWorkers: 2, KillAfterMs: (300, 1500));

    public static readonly CrashSize Benchmark = new(Devices: 10_000, BatchDevices: 200, Kills: 20, ProvisionParallelism: 2, ProvisionDelayMs: 400, PhaseGap: TimeSpan.FromSeconds(45),
        DeviceWorkers: 32, EventWorkers: 4, KillAfterMs: (500, 4000));
}

/// <summary>What one restart showed: how long until listening and until the first resumed work (null: nothing was pending).</summary>
public sealed record CrashRestart(int Number, double ListeningSeconds, double? ResumedSeconds, string? ResumedBy)
{
    /// <summary>From "listening" (start-up done) to the first resumed work; negative when the work resumed before Kestrel listened.</summary>
    public double? AfterListening => ResumedSeconds - ListeningSeconds;
}

/// <summary>
/// Issue 12's crash test: the app as its own process, a phased Mender rollout with devices
/// reporting, a Packet batch provisioning, a Nomad canary deployment rolling and BigPanda events
/// arriving, killed with SIGKILL at random moments and started again on the same data. After every
/// kill, with the process dead, the database is checked against what the clients were told
/// (<see cref="CheckAsync"/>); at the end everything must have finished exactly once.
/// </summary>
public sealed partial class CrashRun(CrashSize size, Dictionary<string, string?> settings, Action<string> report)
{
    private const string Project = "crash-project";
    private const string Plan = "crash.plan";
    private const string JobId = "crash-web";
    private const int JobCount = 4;
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private readonly Random _random = new(12);
    private readonly List<CrashRestart> _restarts = [];
    private readonly string _deviceType = "crash-" + Guid.NewGuid().ToString("N")[..6];
    private int _checks;
    private string _rolloutId = "";
    private string _batchId = "";

    /// <summary>The fleet file: a plan with room for the batch, and the nodes the canary job runs on.</summary>
    public static Dictionary<string, string?> Settings(string dataDirectory, CrashSize size)
    {
        var fleetFile = Path.Combine(dataDirectory, "fleet.json");
        File.WriteAllText(fleetFile, JsonSerializer.Serialize(new FleetFile
        {
            Projects = [new FleetProject { Id = Project, Name = "Crash", Namespace = "default" }],
            Plans = [new FleetPlan { Slug = Plan, Name = "Crash plan", HourlyPrice = 0.1 }],
            OperatingSystems = [new FleetOperatingSystem { Slug = "debian_12", Name = "Debian 12" }],
            Facilities =
            [
                new FleetFacility { Code = "ewr1", Name = "Parsippany", Metro = "ny", Capacity = { [Plan] = size.BatchDevices } },
                new FleetFacility { Code = "dfw1", Name = "Dallas", Metro = "da", Capacity = { [Plan] = size.BatchDevices } },
            ],
            Devices = [.. Enumerable.Range(1, 6).Select(i => new FleetDevice { Hostname = $"node-{i}", Project = Project, Facility = "dfw1", Plan = Plan, OperatingSystem = "debian_12" })],
        }));
        return new Dictionary<string, string?>
        {
            ["Dashboard:DataDirectory"] = dataDirectory,
            ["Dashboard:FleetFile"] = fleetFile,
            ["Dashboard:Demo"] = "false",
            ["Dashboard:RateLimits:Enabled"] = "false",
            ["Dashboard:Provisioner:DelayMs"] = size.ProvisionDelayMs.ToString(CultureInfo.InvariantCulture),
            ["Dashboard:Provisioner:Parallelism"] = size.ProvisionParallelism.ToString(CultureInfo.InvariantCulture),
            ["Dashboard:Canaries:StartMs"] = "1500",
        };
    }

    public IReadOnlyList<CrashRestart> Restarts => _restarts;

    public async Task RunAsync()
    {
        var port = DashboardApp.FreeLoopbackPort();
        await using var data = new DataServices(settings: settings);
        var app = await AppProcess.StartAsync(settings, port);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5), MaxConnectionsPerServer = 256 })
        {
            BaseAddress = app.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var load = new CrashLoad(http, _deviceType, size.EventWorkers);
        var total = Stopwatch.StartNew();
        try
        {
            var setup = Stopwatch.StartNew();
            var devices = await AdmitDevicesAsync(app, http);
            _rolloutId = await CreateRolloutAsync(app);
            _batchId = await SubmitBatchAsync(app);
            await RegisterCanaryJobAsync(app);
            report($"setup: {size.Devices:N0} devices admitted with inventory, a three-phase rollout ({size.PhaseGap.TotalSeconds:0} s apart), a {size.BatchDevices}-device batch, a canary job of {JobCount} in {setup.Elapsed.TotalSeconds:0} s");

            using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var deviceLoad = Task.Run(() => load.RunDevicesAsync(devices, size.DeviceWorkers, Ct), Ct);
            var eventLoad = Task.Run(() => load.RunEventsAsync(DashboardApp.BootstrapToken, stopEvents.Token), Ct);

            for (var kill = 1; kill <= size.Kills; kill++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(size.KillAfterMs.Min, size.KillAfterMs.Max)), Ct);
                await app.KillAsync();
                await app.DisposeAsync();
                await CheckAsync(data, load, final: false);
                app = await AppProcess.StartAsync(settings, port);
                _restarts.Add(await ResumedAsync(data, app, kill));
                if (deviceLoad.IsFaulted) await deviceLoad;
            }

            // The last start runs to the end: everything in flight must finish, exactly once.
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct))
            {
                limit.CancelAfter(TimeSpan.FromMinutes(size.Devices > 1000 ? 15 : 3));
                try
                {
                    await deviceLoad.WaitAsync(limit.Token);
                    await UntilAsync(() => FinishedAsync(data), limit.Token);
                }
                catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
                {
                    Assert.Fail($"the work did not finish after the last restart: {await StateAsync(data)}\n{Tail(app.Output)}");
                }
            }
            await stopEvents.CancelAsync();
            await eventLoad;
            await app.KillAsync();
            await CheckAsync(data, load, final: true);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- app output (tail) ---\n{Tail(app.Output)}", ex);
        }
        finally
        {
            await app.DisposeAsync();
        }

        var resumed = _restarts.Where(r => r.ResumedSeconds is not null).Select(r => r.ResumedSeconds!.Value).Order().ToList();
        var listening = _restarts.Select(r => r.ListeningSeconds).Order().ToList();
        report($"{size.Kills} kills (SIGKILL), {size.Kills} restarts on {Provider}; {_checks} database checks after kills and at the end, all held; {total.Elapsed.TotalSeconds:0} s in all");
        report($"acknowledged: {load.ReportsAcknowledged:N0} device status reports, {load.EventsAcknowledged:N0} change events ({load.StartedComponents.Count:N0} changes); {load.Retries:N0} sends retried while the app was down or cut off");
        var afterListening = _restarts.Where(r => r.AfterListening is not null).Select(r => r.AfterListening!.Value).Order().ToList();
        report($"process start to listening: median {Median(listening):0.00} s, max {listening[^1]:0.00} s; process start to first resumed work ({resumed.Count} restarts with work pending): median {Median(resumed):0.00} s, max {(resumed.Count > 0 ? resumed[^1] : 0):0.00} s; listening to first resumed work: median {Median(afterListening):0.00} s, max {(afterListening.Count > 0 ? afterListening[^1] : 0):0.00} s");
        foreach (var r in _restarts) report($"  restart {r.Number}: listening after {r.ListeningSeconds:0.00} s, work resumed after {(r.ResumedSeconds is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) + " s (" + r.ResumedBy + ")" : "- (nothing pending)")}");
        report($"load average at the end: {LoadAverage()}");
        // Start-up itself (the runtime, JIT, migrations) is what a loaded machine stretches; the
        // promise is about what comes after it: the work resumes within 5 s of the app being up.
        Assert.All(_restarts.Where(r => r.AfterListening is not null), r => Assert.True(r.AfterListening < 5,
            $"restart {r.Number}: work resumed {r.AfterListening:0.00} s after start-up ({r.ResumedSeconds:0.00} s after the process started)"));
    }

    private string Provider => settings.GetValueOrDefault("Dashboard:DatabaseProvider") ?? "sqlite";

    // ---- setup, through the clients' own APIs -------------------------------------------------

    /// <summary>
    /// Every device asks to be admitted (pending), the operator accepts them through devauth, and
    /// each device authenticates again for its token and sends its inventory: the real flow.
    /// </summary>
    private async Task<List<(string Id, string Token)>> AdmitDevicesAsync(AppProcess app, HttpClient http)
    {
        using var management = app.ApiClient("Authorization");
        var keys = Enumerable.Range(0, size.Devices).Select(i => new MenderTestDevice(app.BaseAddress, $"02:c0:{i >> 16:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}:00", ecdsa: true, http)).ToList();
        try
        {
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (device, ct) =>
            {
                using var pending = await device.AuthenticateAsync(ct);
                Assert.Equal(HttpStatusCode.Unauthorized, pending.StatusCode);
            });
            var byMac = new Dictionary<string, (string Id, string AuthSet)>();
            for (var page = 1; byMac.Count < size.Devices; page++)
            {
                var list = await management.GetFromJsonAsync<JsonElement>($"/api/management/v2/devauth/devices?status=pending&per_page=500&page={page}", Ct);
                Assert.True(list.GetArrayLength() > 0, $"only {byMac.Count} pending devices listed");
                foreach (var d in list.EnumerateArray())
                    byMac[d.GetProperty("identity_data").GetProperty("mac").GetString()!] = (d.GetProperty("id").GetString()!, d.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
            }
            var admitted = new (string Id, string Token)[size.Devices];
            await Parallel.ForEachAsync(Enumerable.Range(0, size.Devices), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
            {
                var device = keys[i];
                var (id, authSet) = byMac[device.Mac];
                using var accept = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" }, ct);
                Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);
                using var ok = await device.AuthenticateAsync(ct);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
                using var inventory = await device.SendInventoryAsync(_deviceType, "release-0", ct);
                Assert.True(inventory.IsSuccessStatusCode, $"inventory: {inventory.StatusCode}");
                admitted[i] = (id, device.Token!);
            });
            return [.. admitted];
        }
        finally
        {
            foreach (var key in keys) key.Dispose();
        }
    }

    /// <summary>Three phases over the devices' type: 10 %, 40 % and the rest, <see cref="CrashSize.PhaseGap"/> apart, the first at once.</summary>
    private async Task<string> CreateRolloutAsync(AppProcess app)
    {
        using var work = new TempDirectory();
        using var management = app.ApiClient("Authorization");
        var artifact = "crash-release-1";
        using (var uploaded = await MenderCommands.UploadAsync(management, await MenderCommands.SingleFileArtifactAsync(work.Path, artifact, _deviceType, "/tmp/crash")))
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        using var filter = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = "crash " + _deviceType, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = _deviceType } } }, Ct);
        Assert.True(filter.IsSuccessStatusCode, await filter.Content.ReadAsStringAsync(Ct));
        var now = DateTime.UtcNow;
        string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var body = JsonSerializer.Serialize(new
        {
            name = "crash rollout",
            artifact_name = artifact,
            filter_id = filter.Headers.Location!.ToString().Split('/')[^1],
            phases = new object[]
            {
                new { batch_size = 10, start_ts = Ts(now) },
                new { batch_size = 40, start_ts = Ts(now + size.PhaseGap) },
                new { start_ts = Ts(now + 2 * size.PhaseGap) },
            },
        });
        using var created = await management.PostAsync("/api/management/v2/deployments/deployments", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        return created.Headers.Location!.ToString().Split('/')[^1];
    }

    private async Task<string> SubmitBatchAsync(AppProcess app)
    {
        using var client = app.ApiClient();
        const string hostname = "crash{{index}}";
        using var response = await client.PostAsync($"/projects/{Project}/devices/batch", new StringContent(
            $$"""{"batches":[{"hostname":"{{hostname}}","plan":"{{Plan}}","operating_system":"debian_12","facility":"any","quantity":{{size.BatchDevices}}}]}""",
            Encoding.UTF8, "application/json"), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("batches")[0].GetProperty("id").GetString()!;
    }

    /// <summary>Version 0 of the job, then version 1 with a canary that promotes itself once healthy: a canary deployment in progress.</summary>
    private static async Task RegisterCanaryJobAsync(AppProcess app)
    {
        using var client = app.ApiClient("X-Nomad-Token");
        foreach (var image in new[] { "nginx:1.25", "nginx:1.27" })
        {
            var body = "{\"Job\":{\"ID\":\"" + JobId + "\",\"Name\":\"" + JobId + "\",\"Type\":\"service\",\"Datacenters\":[\"dc1\"],\"TaskGroups\":[{\"Name\":\"web\",\"Count\":" + JobCount
                + ",\"Tasks\":[{\"Name\":\"server\",\"Driver\":\"docker\",\"Config\":{\"image\":\"" + image + "\"}}],"
                + "\"Update\":{\"MaxParallel\":2,\"HealthCheck\":\"checks\",\"MinHealthyTime\":1000000000,\"HealthyDeadline\":60000000000,"
                + "\"ProgressDeadline\":600000000000,\"Canary\":1,\"AutoPromote\":true}}]}}";
            using var response = await client.PutAsync("/v1/jobs", new StringContent(body), Ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }
    }

    // ---- after each start ---------------------------------------------------------------------

    /// <summary>
    /// From the process start to the first change a job made (a device provisioned, an allocation
    /// moved, a phase started, an entry from a capability's job), read from the database.
    /// </summary>
    private async Task<CrashRestart> ResumedAsync(DataServices data, AppProcess app, int number)
    {
        var started = app.StartedAt;
        var listening = (app.ListeningAt - started).TotalSeconds;
        await using var db = data.CreateDb();
        var now = DateTime.UtcNow;
        var pending = await db.Batches.AnyAsync(b => b.Id == _batchId && b.State != BatchStates.Completed && b.State != BatchStates.Failed, Ct)
            || await db.CanaryDeployments.AnyAsync(d => d.JobId == JobId && d.Active, Ct)
            || await db.RolloutPhases.AnyAsync(p => p.RolloutId == _rolloutId && p.StartedAt == null && p.StartAt <= now, Ct);
        if (!pending) return new CrashRestart(number, listening, null, null);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var sources = new[] { TimelineSources.Batches, TimelineSources.Rollouts, TimelineSources.Deployments };
        try
        {
            while (true)
            {
                await using var read = data.CreateDb();
                var signals = new (string Name, DateTime? At)[]
                {
                    ("device provisioned", await read.Devices.Where(d => d.BatchId == _batchId && d.UpdatedAt > started).MinAsync(d => (DateTime?)d.UpdatedAt, limit.Token)),
                    ("allocation moved", await read.CanaryAllocations.Where(a => a.JobId == JobId && a.ModifyTime > started).MinAsync(a => (DateTime?)a.ModifyTime, limit.Token)),
                    ("phase started", await read.RolloutPhases.Where(p => p.RolloutId == _rolloutId && p.StartedAt > started).MinAsync(p => p.StartedAt, limit.Token)),
                    ("timeline entry", await read.Timeline.Where(e => e.OccurredAt > started && sources.Contains(e.Source)).MinAsync(e => (DateTime?)e.OccurredAt, limit.Token)),
                };
                var first = signals.Where(s => s.At is not null).OrderBy(s => s.At).FirstOrDefault();
                if (first.At is { } at) return new CrashRestart(number, listening, (at - started).TotalSeconds, first.Name);
                await Task.Delay(TimeSpan.FromMilliseconds(100), limit.Token);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"restart {number}: work was pending but nothing resumed within 30 s: {await StateAsync(data)}\n{Tail(app.Output)}");
            throw;
        }
    }

    private async Task<bool> FinishedAsync(DataServices data)
    {
        await using var db = data.CreateDb();
        return await db.Rollouts.AnyAsync(r => r.Id == _rolloutId && r.State == RolloutStates.Succeeded, Ct)
            && await db.Batches.AnyAsync(b => b.Id == _batchId && b.State == BatchStates.Completed, Ct)
            && !await db.CanaryDeployments.AnyAsync(d => d.JobId == JobId && d.Active, Ct);
    }

    private async Task<string> StateAsync(DataServices data)
    {
        await using var db = data.CreateDb();
        var rollout = await db.Rollouts.AsNoTracking().SingleAsync(r => r.Id == _rolloutId, Ct);
        var counts = await db.RolloutStatusCounts.AsNoTracking().Where(c => c.RolloutId == _rolloutId && c.Count != 0).ToListAsync(Ct);
        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == _batchId, Ct);
        var deployments = await db.CanaryDeployments.AsNoTracking().Where(d => d.JobId == JobId).Select(d => d.JobVersion + ":" + d.Status).ToListAsync(Ct);
        return $"rollout {rollout.State} ({string.Join(", ", counts.Select(c => $"{c.Status} {c.Count}"))}), batch {batch.State}, deployments {string.Join(", ", deployments)}";
    }

    // ---- the checks ---------------------------------------------------------------------------

    [GeneratedRegex(@"phases? (\d+)(?:-(\d+))? of \d+")]
    private static partial Regex PhaseWords();

    /// <summary>
    /// With the process dead (nothing moves), the database against what the clients were told:
    /// every acknowledged status report and change event is there once, phases started once each and
    /// in order, the batch's devices exist once each and hold no more servers than the plan has.
    /// <paramref name="final"/>: and everything finished.
    /// </summary>
    private async Task CheckAsync(DataServices data, CrashLoad load, bool final)
    {
        _checks++;
        var when = final ? "at the end" : $"after kill {_checks}";
        await using var db = data.CreateDb();

        // Status reports: no device behind its last acknowledged report, counters equal to the rows.
        var rows = await db.DeviceDeployments.AsNoTracking().Where(d => d.RolloutId == _rolloutId).Select(d => new { d.DeviceId, d.Status }).ToListAsync(Ct);
        Assert.Equal(size.Devices, rows.Count);
        var stored = rows.ToDictionary(r => r.DeviceId, r => r.Status);
        foreach (var (device, acknowledged) in load.AcknowledgedReports)
        {
            var at = CrashLoad.Statuses.ToList().IndexOf(stored[device]);
            Assert.True(at >= acknowledged, $"{when}: device {device} is {stored[device]} but reported {CrashLoad.Statuses[acknowledged]} and was answered 2xx");
        }
        var counters = await db.RolloutStatusCounts.AsNoTracking().Where(c => c.RolloutId == _rolloutId && c.Count != 0).ToDictionaryAsync(c => c.Status, c => c.Count, Ct);
        var actual = rows.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counters.OrderBy(c => c.Key).SequenceEqual(actual.OrderBy(c => c.Key)),
            $"{when}: rollout counters {Show(counters)} but device rows {Show(actual)}");

        // Change events: each acknowledged one stored exactly once, none doubled.
        var prefix = load.EventPrefix;
        var changes = await db.Changes.AsNoTracking().Where(c => c.Component.StartsWith(prefix)).Select(c => new { c.Id, c.Component, c.Status }).ToListAsync(Ct);
        var doubled = changes.GroupBy(c => c.Component).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(doubled.Count == 0, $"{when}: changes stored twice: {string.Join(", ", doubled.Take(5))}");
        var byComponent = changes.ToDictionary(c => c.Component);
        var lost = load.StartedComponents.Where(c => !byComponent.ContainsKey(c)).ToList();
        Assert.True(lost.Count == 0, $"{when}: {lost.Count} acknowledged start events lost: {string.Join(", ", lost.Take(5))}");
        var unended = load.EndedComponents.Where(c => byComponent[c].Status != "success").ToList();
        Assert.True(unended.Count == 0, $"{when}: {unended.Count} acknowledged end events lost: {string.Join(", ", unended.Take(5))}");
        var changeIds = changes.Select(c => c.Id.ToString()).ToHashSet();
        var entries = await db.Timeline.AsNoTracking().Where(e => e.Source == TimelineSources.Changes && e.SubjectId.Length > 0).Select(e => e.SubjectId).ToListAsync(Ct);
        var entriesPerChange = entries.Where(changeIds.Contains).GroupBy(e => e).Where(g => g.Count() > 2).Select(g => g.Key).ToList();
        Assert.True(entriesPerChange.Count == 0, $"{when}: changes with more than a start and an end entry: {string.Join(", ", entriesPerChange.Take(5))}");

        // Phases: each started once, in order, none skipped; the timeline says so once per phase.
        var phases = await db.RolloutPhases.AsNoTracking().Where(p => p.RolloutId == _rolloutId).OrderBy(p => p.Index).ToListAsync(Ct);
        var startedPhases = phases.TakeWhile(p => p.StartedAt is not null).Count();
        Assert.True(phases.Skip(startedPhases).All(p => p.StartedAt is null), $"{when}: a phase started before an earlier one: {string.Join(", ", phases.Select(p => p.StartedAt))}");
        var titles = await db.Timeline.AsNoTracking().Where(e => e.SubjectId == _rolloutId && e.Source == TimelineSources.Rollouts).OrderBy(e => e.Id).Select(e => e.Title).ToListAsync(Ct);
        var announced = new List<int>();
        foreach (var title in titles.Where(t => t.Contains("started", StringComparison.Ordinal)))
        {
            var m = PhaseWords().Match(title);
            if (!m.Success) continue;
            var from = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var to = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : from;
            announced.AddRange(Enumerable.Range(from, to - from + 1));
        }
        Assert.True(announced.SequenceEqual(Enumerable.Range(1, startedPhases)),
            $"{when}: phase starts on the timeline {string.Join(",", announced)} but {startedPhases} phases started:\n{string.Join("\n", titles)}");
        _phaseOf ??= await db.DeviceDeployments.AsNoTracking().Where(d => d.RolloutId == _rolloutId).ToDictionaryAsync(d => d.DeviceId, d => d.PhaseIndex, Ct);
        var early = rows.Count(r => r.Status != "pending" && phases[_phaseOf[r.DeviceId]].StartedAt is null);
        Assert.True(early == 0, $"{when}: {early} devices worked on a deployment whose phase had not started");

        // The batch: each device once, no more servers held than the plan has, none held twice.
        var devices = await db.Devices.AsNoTracking().Where(d => d.BatchId == _batchId).Select(d => new { d.Hostname, d.State }).ToListAsync(Ct);
        Assert.True(devices.Count is 0 || devices.Count == size.BatchDevices, $"{when}: the batch has {devices.Count} devices of {size.BatchDevices}");
        Assert.Equal(devices.Count, devices.Select(d => d.Hostname).Distinct().Count());
        var held = await db.Devices.AsNoTracking().CountAsync(d => d.ProjectId == Project && d.PlanSlug == Plan && d.State != DeviceStates.Failed, Ct);
        var totals = await db.FacilityCapacities.AsNoTracking().Where(c => c.PlanSlug == Plan).SumAsync(c => c.Total, Ct);
        Assert.True(held == 6 + devices.Count, $"{when}: {held} servers of the plan held, expected the 6 nodes and the batch's {devices.Count}");
        Assert.True(held <= totals, $"{when}: {held} servers held of {totals}");

        // The canary job: one running allocation per name, canaries not placed twice.
        var allocations = await db.CanaryAllocations.AsNoTracking().Where(a => a.JobId == JobId).ToListAsync(Ct);
        var running = allocations.Where(a => a.DesiredStatus == AllocationStatuses.DesiredRun && !AllocationStatuses.IsTerminal(a.ClientStatus)).ToList();
        var twice = running.GroupBy(a => (a.Name, a.JobVersion)).Where(g => g.Count() > 1).Select(g => g.Key.Name).ToList();
        Assert.True(twice.Count == 0, $"{when}: allocations running twice: {string.Join(", ", twice)}");
        foreach (var deployment in await db.CanaryDeployments.AsNoTracking().Where(d => d.JobId == JobId).ToListAsync(Ct))
        {
            var group = deployment.TaskGroups["web"];
            var canaries = allocations.Count(a => a.DeploymentId == deployment.Id && a.Canary);
            Assert.True(canaries <= group.DesiredCanaries, $"{when}: deployment {deployment.Id} placed {canaries} canaries of {group.DesiredCanaries}");
            Assert.Equal(group.PlacedCanaries.Count, group.PlacedCanaries.Distinct().Count());
        }

        if (!final) return;
        Assert.All(rows, r => Assert.Equal("success", r.Status));
        Assert.Equal(size.Devices, load.AcknowledgedReports.Count(r => r.Value == CrashLoad.Statuses.Count - 1));
        Assert.Equal(3, startedPhases);
        Assert.Equal(size.BatchDevices, devices.Count);
        Assert.All(devices, d => Assert.Equal(DeviceStates.Active, d.State));
        var latest = await db.CanaryDeployments.AsNoTracking().Where(d => d.JobId == JobId).OrderByDescending(d => d.JobVersion).FirstAsync(Ct);
        Assert.Equal(DeploymentStatuses.Successful, latest.Status);
        Assert.Equal(JobCount, running.Count(a => a.JobVersion == latest.JobVersion));
        Assert.Equal(JobCount, running.Count);
    }

    /// <summary>The phase each device was planned into (fixed at creation).</summary>
    private Dictionary<string, int>? _phaseOf;

    private static string Show(Dictionary<string, int> counts) => string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));

    private static double Median(List<double> sorted) => sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(60));

    private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        while (!await condition()) await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
