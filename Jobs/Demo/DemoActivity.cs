using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Jobs.Demo;

/// <summary>
/// Plays believable activity on the demo fleet through the real services: CI tools sending change
/// events (some failing), a small batch now and then, phased rollouts over simulated Mender devices,
/// canary deployments that wait for promotion, and now and then a failing deployment preceded by the
/// change that broke it. Every beat re-reads what it needs from the database and does at most one
/// step of each kind, so it holds no state of its own: a restart simply carries on.
/// Everything it does carries the actor and source <see cref="Actor"/>.
/// </summary>
public sealed class DemoActivity(
    IDbContextFactory<DashboardDbContext> dbFactory,
    ChangeService changes,
    BatchService batches,
    JobService jobs,
    DeploymentService deployments,
    ArtifactService artifacts,
    RolloutService rollouts,
    MenderDeviceService menderDevices,
    MenderInventoryService inventory,
    DeviceDeploymentService deviceDeployments,
    TimeProvider clock,
    ILogger<DemoActivity> logger)
{
    public const string Actor = "demo";
    public const string DeviceType = "raspberrypi4";
    public const string CanaryJob = "web-frontend";
    public const int MenderDevices = 6;

    /// <summary>How often things happen; the defaults make a first-time visitor see life within seconds.</summary>
    public sealed record Pace
    {
        public int MaxChangesInFlight { get; init; } = 3;
        public TimeSpan ChangeMinDuration { get; init; } = TimeSpan.FromSeconds(15);
        public TimeSpan ChangeMaxDuration { get; init; } = TimeSpan.FromSeconds(75);
        public TimeSpan BatchEvery { get; init; } = TimeSpan.FromMinutes(4);
        public TimeSpan BatchKeptFor { get; init; } = TimeSpan.FromMinutes(12);
        public TimeSpan RolloutGap { get; init; } = TimeSpan.FromMinutes(2);
        public TimeSpan RolloutSecondPhaseAfter { get; init; } = TimeSpan.FromMinutes(1);
        public TimeSpan CanaryGap { get; init; } = TimeSpan.FromMinutes(2);
        /// <summary>A canary nobody promotes is promoted by the demo after this long, so the story goes on.</summary>
        public TimeSpan PromoteAfter { get; init; } = TimeSpan.FromMinutes(10);
        /// <summary>Every this-many canary versions fails its canary, after a change on the same hosts.</summary>
        public int FailingVersionEvery { get; init; } = 3;
    }

    public static readonly IReadOnlyList<string> Components = ["checkout-api", "payments", "search", "inventory-db", "auth", "billing-worker"];
    private static readonly string[] Tools = ["GitHub Actions", "Jenkins", "Argo CD", "Spinnaker"];

    private Random _random = new();
    private Pace _pace = new();

    public DemoActivity WithPace(Pace pace, int? seed = null)
    {
        _pace = pace;
        if (seed is { } s) _random = new Random(s);
        return this;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>One round of activity. Each part fails on its own: a refused step (a freeze, no capacity) is logged, not fatal.</summary>
    public async Task BeatAsync(CancellationToken ct = default)
    {
        await StepAsync("changes", ChangesAsync, ct);
        await StepAsync("batches", BatchesAsync, ct);
        await StepAsync("canaries", CanariesAsync, ct);
        await StepAsync("rollouts", RolloutsAsync, ct);
        await StepAsync("devices", DevicesAsync, ct);
    }

    private async Task StepAsync(string name, Func<CancellationToken, Task> step, CancellationToken ct)
    {
        // Everything the demo does shows on the audit log as the demo's, not as an anonymous system action.
        using var asDemo = Data.Audit.AmbientActorContext.Begin(new Data.Audit.Actor(Actor, Data.Audit.ActorKinds.System));
        try
        {
            await step(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogInformation("Demo activity: the {Step} step did nothing this beat: {Reason}", name, e.Message);
        }
    }

    // ---- change events from "CI tools" ----

    private async Task ChangesAsync(CancellationToken ct)
    {
        var open = await OpenDemoChangesAsync(ct);
        foreach (var change in open)
        {
            var (duration, fails) = Fate(change.Id.ToString());
            if (Now - change.StartedAt < duration) continue;
            await changes.EndAsync(new DeploymentEnd(change.Component, change.Version, change.Hosts,
                fails ? ChangeStatuses.Failure : ChangeStatuses.Success,
                fails ? "health check failed after deploy" : null, Source: Actor), ct);
        }
        if (open.Count - open.Count(c => Now - c.StartedAt >= Fate(c.Id.ToString()).Duration) < _pace.MaxChangesInFlight && _random.NextDouble() < 0.35)
        {
            var hosts = await FleetHostsAsync(ct);
            var component = Components[_random.Next(Components.Count)];
            await changes.StartAsync(new DeploymentStart(component, $"1.{_random.Next(2, 9)}.{_random.Next(0, 40)}",
                [.. hosts.OrderBy(_ => _random.Next()).Take(_random.Next(1, 4))],
                Description: $"{Tools[_random.Next(Tools.Length)]} run {_random.Next(1000, 9999)}", Owner: Actor, Source: Actor), ct);
        }
    }

    private async Task<List<Change>> OpenDemoChangesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Changes.AsNoTracking()
            .Where(c => c.Source == Actor && c.Status == ChangeStatuses.InProgress)
            .OrderBy(c => c.StartedAt).Take(20).ToListAsync(ct);
    }

    /// <summary>How long a change runs and whether it fails, fixed by its id so every beat agrees.</summary>
    private (TimeSpan Duration, bool Fails) Fate(string id)
    {
        var hash = BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(id)), 0);
        var span = _pace.ChangeMaxDuration - _pace.ChangeMinDuration;
        return (_pace.ChangeMinDuration + span * (hash % 1000 / 1000.0), hash % 6 == 0);
    }

    private async Task<List<string>> FleetHostsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking()
            .Where(d => d.ProjectId != MenderDeviceService.ProjectId && d.State == Data.Fleet.DeviceStates.Active)
            .OrderBy(d => d.Hostname).Select(d => d.Hostname).Take(50).ToListAsync(ct);
    }

    // ---- a small batch now and then, removed again later so capacity stays steady ----

    private async Task BatchesAsync(CancellationToken ct)
    {
        var demo = (await batches.ListAsync(ct: ct)).Where(b => b.Actor == Actor).ToList();
        foreach (var old in demo.Where(b => BatchStates.IsFinished(b.State) && Now - b.CreatedAt > _pace.BatchKeptFor))
            await batches.DeleteAsync(old.Id, removeDevices: true, Actor, ct);
        if (demo.Count > 0 && Now - demo.Max(b => b.CreatedAt) < _pace.BatchEvery) return;

        var project = await DefaultProjectAsync(ct);
        if (project is null) return;
        var catalog = await batches.CatalogAsync(ct);
        var plan = catalog.Plans.Contains("t1.small.x86") ? "t1.small.x86" : catalog.Plans.First();
        var facility = (await batches.AvailabilityAsync(plan, ct)).OrderByDescending(f => f.Available).FirstOrDefault();
        if (facility is null || facility.Available < 2) return;
        var serial = _random.Next(100, 999);
        await batches.SubmitAsync(project, [new BatchRequest
        {
            Hostnames = [$"demo-cache-{serial}a", $"demo-cache-{serial}b"],
            Description = "demo: cache nodes for the load test",
            Plan = plan,
            OperatingSystem = catalog.OperatingSystems.Contains("debian_12") ? "debian_12" : catalog.OperatingSystems.First(),
            Facilities = [facility.Code],
            Quantity = 2,
            Tags = [Actor],
        }], Actor, ct);
    }

    private async Task<string?> DefaultProjectAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.AsNoTracking().Where(p => p.Id != MenderDeviceService.ProjectId)
            .OrderBy(p => p.Name).Select(p => p.Id).FirstOrDefaultAsync(ct);
    }

    // ---- canary deployments of one service ----

    private async Task CanariesAsync(CancellationToken ct)
    {
        var current = await jobs.GetAsync("default", CanaryJob, ct);
        if (current is null)
        {
            await jobs.DeployAsync(new DeployRequest { JobId = CanaryJob, Group = "web", Image = "registry.demo/web-frontend:1.0.0", Count = 3, Canary = 1, AutoRevert = true }, Actor, ct);
            return;
        }

        var latest = await LatestDeploymentAsync(ct);
        if (latest is { Active: true })
        {
            var waiting = latest.StatusDescription == DeploymentDescriptions.RunningNeedsPromotion && latest.WaitingSince is { } since && Now - since > _pace.PromoteAfter;
            if (waiting) await deployments.PromoteAsync(latest.Id, all: true, groups: null, Actor, ct);
            return;
        }
        if (latest is not null && Now - latest.ModifyTime < _pace.CanaryGap) return;

        var version = current.Version.Version + 1;
        var failing = _pace.FailingVersionEvery > 0 && version % _pace.FailingVersionEvery == 0;
        if (failing)
        {
            // The change that will turn out to be the culprit: a config push to the same nodes just before.
            var hosts = await FleetHostsAsync(ct);
            await changes.StartAsync(new DeploymentStart("edge-proxy-config", $"r{version}", hosts,
                Description: "Argo CD: proxy timeouts lowered", Owner: Actor, Source: Actor), ct);
        }
        await jobs.DeployAsync(new DeployRequest
        {
            JobId = CanaryJob, Group = "web", Image = $"registry.demo/web-frontend:1.{version}.0", Canary = 1, AutoRevert = true,
            MinHealthyTime = TimeSpan.FromSeconds(10), Simulate = failing ? "unhealthy" : "healthy",
        }, Actor, ct);
    }

    private async Task<CanaryDeployment?> LatestDeploymentAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().Where(d => d.Namespace == "default" && d.JobId == CanaryJob)
            .OrderByDescending(d => d.CreateIndex).FirstOrDefaultAsync(ct);
    }

    // ---- phased rollouts over simulated Mender devices ----

    private async Task RolloutsAsync(CancellationToken ct)
    {
        var devices = await EnsureMenderDevicesAsync(ct);
        if (devices.Count == 0) return;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latest = await db.Rollouts.AsNoTracking().Where(r => r.Actor == Actor).OrderByDescending(r => r.CreatedAt).FirstOrDefaultAsync(ct);
        if (latest is not null && (latest.FinishedAt is null || Now - latest.FinishedAt < _pace.RolloutGap)) return;

        var release = (await db.Rollouts.CountAsync(r => r.Actor == Actor, ct)) + 1;
        var name = $"demo-release-2.{release}";
        if (!await db.Artifacts.AnyAsync(a => a.Name == name, ct))
        {
            var bytes = DemoArtifact.Write(name, [DeviceType], "release.txt", $"demo release 2.{release}\n");
            await artifacts.UploadAsync(new MemoryStream(bytes), bytes.Length, $"demo: release 2.{release}", Actor, ct);
        }
        await rollouts.CreateAsync(new RolloutRequest
        {
            Name = $"Release 2.{release} to the Pi fleet",
            ArtifactName = name,
            DeviceIds = devices,
            Phases = [new PhaseRequest(34, null), new PhaseRequest(null, Now + _pace.RolloutSecondPhaseAfter)],
            FailureThresholdPercent = 50,
        }, Actor, ct);
    }

    /// <summary>The demo's Mender devices, admitted once through the device authentication path and accepted as an operator would.</summary>
    private async Task<List<string>> EnsureMenderDevicesAsync(CancellationToken ct)
    {
        var known = await DemoMenderDevicesAsync(ct);
        if (known.Count >= MenderDevices) return known;
        for (var i = 1; i <= MenderDevices; i++)
        {
            var identity = JsonSerializer.Serialize(new { mac = $"dc:a6:32:de:00:{i:x2}" });
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var body = JsonSerializer.SerializeToUtf8Bytes(new { id_data = identity, pubkey = key.ExportSubjectPublicKeyInfoPem() + "\n" });
            var signature = Convert.ToBase64String(key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            var result = await menderDevices.AuthenticateAsync(body, signature, ct);
            if (result.DeviceId is not { } deviceId || result.Outcome != AuthOutcome.Pending) continue;
            var view = await menderDevices.GetAsync(deviceId, ct);
            foreach (var set in view.AuthSets.Where(s => s.Status == MenderAuthStatuses.Pending))
                await menderDevices.SetAuthSetStatusAsync(deviceId, set.Id, MenderAuthStatuses.Accepted, Actor, ct);
            await inventory.UpdateDeviceAttributesAsync(deviceId,
                [("device_type", JsonSerializer.SerializeToElement(DeviceType)), ("artifact_name", JsonSerializer.SerializeToElement("demo-release-2.0")), ("demo", JsonSerializer.SerializeToElement("true"))],
                replace: false, ct);
        }
        return await DemoMenderDevicesAsync(ct);
    }

    private async Task<List<string>> DemoMenderDevicesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.MenderAuthSets.AsNoTracking()
            .Where(s => s.IdentityData.Contains("dc:a6:32:de:00:") && s.Status == MenderAuthStatuses.Accepted)
            .Select(s => s.DeviceId).Distinct().ToListAsync(ct);
    }

    /// <summary>Each demo device asks for its next deployment and moves one state per beat, as a slow board would.</summary>
    private async Task DevicesAsync(CancellationToken ct)
    {
        foreach (var deviceId in await DemoMenderDevicesAsync(ct))
        {
            var installed = await InstalledAsync(deviceId, ct);
            var next = await deviceDeployments.NextAsync(deviceId,
                new Dictionary<string, string> { ["device_type"] = DeviceType, ["artifact_name"] = installed }, ct);
            if (next is null) continue;
            var status = await DeviceStatusAsync(deviceId, next.RolloutId, ct);
            var step = status switch
            {
                DeviceDeploymentStatuses.Pending => DeviceDeploymentStatuses.Downloading,
                DeviceDeploymentStatuses.Downloading => DeviceDeploymentStatuses.Installing,
                DeviceDeploymentStatuses.Installing => DeviceDeploymentStatuses.Rebooting,
                _ => Unlucky(deviceId, next.RolloutId) ? DeviceDeploymentStatuses.Failure : DeviceDeploymentStatuses.Success,
            };
            await deviceDeployments.ReportStatusAsync(deviceId, next.RolloutId, step, null, ct);
            if (step == DeviceDeploymentStatuses.Success)
                await inventory.UpdateDeviceAttributesAsync(deviceId, [("artifact_name", JsonSerializer.SerializeToElement(next.Artifact.Name))], replace: false, ct);
        }
    }

    // One device in about twelve fails an update, fixed per device and rollout.
    private static bool Unlucky(string deviceId, string rolloutId) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(deviceId + rolloutId)), 0) % 12 == 0;

    private async Task<string> InstalledAsync(string deviceId, CancellationToken ct)
    {
        var device = await inventory.GetAsync(deviceId, ct);
        var value = device.Attributes.FirstOrDefault(a => a.Name == "artifact_name")?.Value;
        return value is null ? "demo-release-2.0" : JsonSerializer.Deserialize<string>(value) ?? "demo-release-2.0";
    }

    private async Task<string> DeviceStatusAsync(string deviceId, string rolloutId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DeviceDeployments.AsNoTracking().Where(d => d.DeviceId == deviceId && d.RolloutId == rolloutId)
            .Select(d => d.Status).FirstOrDefaultAsync(ct) ?? DeviceDeploymentStatuses.Pending;
    }
}
