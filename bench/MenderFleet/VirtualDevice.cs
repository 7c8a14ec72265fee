using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dashboard.MenderFleet;

/// <summary>
/// One simulated Mender client: authenticate (retrying while pending), send inventory, poll for updates,
/// and run each deployment through the same steps and status reports as the Mender 3.4 daemon
/// (observed-wire.md 1.5): downloading x3 around the download, installing, a fresh auth before the
/// commit, installing again, [rebooting], then success, or failure followed by a log upload.
/// Failures are decided by a seeded random per device and deployment, so a run repeats.
/// </summary>
public sealed class VirtualDevice(int number, FleetOptions options, DeviceApi api, FleetStats stats) : IDisposable
{
    private readonly DeviceKey _key = DeviceKey.Create(options.KeyKind, number);
    private readonly Random _jitter = new(Mix(options.Seed, number, -1));
    private readonly Dictionary<string, string> _provides = new(StringComparer.Ordinal)
    {
        ["artifact_name"] = options.ArtifactName,
        ["device_type"] = options.DeviceType,
    };
    private string? _token;
    private bool _accepted;
    private int _finished;

    public int Number { get; } = number;
    public string Serial => $"{options.Prefix}-{Number:D5}";

    /// <summary>The identity script's output as the client encodes it: an object with sorted keys, as a string.</summary>
    public string IdentityJson => JsonSerializer.Serialize(new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["mac"] = string.Join(':', new[] { 0x02, 0x00, (Number >> 24) & 0xff, (Number >> 16) & 0xff, (Number >> 8) & 0xff, Number & 0xff }.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
        ["sn"] = Serial,
    });

    public IReadOnlyDictionary<string, string> Provides => _provides;

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(options.RampUp * _jitter.NextDouble(), ct);
            await AuthenticateAsync(ct);
            await SendInventoryAsync(ct);
            var inventorySent = DateTime.UtcNow;
            while (options.Deployments == 0 || _finished < options.Deployments)
            {
                var (status, deployment) = await AuthorizedAsync(token => api.NextAsync(token, _provides, ct), r => r.Status, ct);
                if (deployment is null)
                {
                    await Task.Delay(status is 200 or 204 ? Jittered(options.PollInterval) : options.RetryInterval, ct);
                    if (options.InventoryInterval > TimeSpan.Zero && DateTime.UtcNow - inventorySent >= options.InventoryInterval)
                    {
                        await SendInventoryAsync(ct);
                        inventorySent = DateTime.UtcNow;
                    }
                    continue;
                }
                await DeployAsync(deployment, ct);
                _finished++;
                // The client sends inventory right after each finished deployment.
                await SendInventoryAsync(ct);
                inventorySent = DateTime.UtcNow;
            }
            stats.DeviceDone();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One broken device must not end the run: it is reported and stops.
            stats.Unexpected("device", 0, $"{Serial} stopped: {e.GetType().Name}: {e.Message}");
            stats.Call("device-crash").Record(TimeSpan.Zero, 0, expected: false);
        }
    }

    private async Task DeployAsync(DeploymentInstructions deployment, CancellationToken ct)
    {
        stats.DeploymentStarted();
        var id = deployment.Id;
        var artifact = deployment.Artifact;
        if (artifact.ArtifactName == _provides["artifact_name"])
        {
            await ReportAsync(id, "already-installed", ct);
            stats.DeploymentAlreadyInstalled();
            return;
        }

        var log = new List<LogMessage>();
        void Log(string level, string message) => log.Add(new LogMessage(level, message, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        Log("info", "Running Mender client version: 3.4.0 (simulated by MenderFleet)");
        Log("info", $"State transition: update-fetch [Download_Enter] for deployment {id}");

        if (!await ReportAsync(id, "downloading", ct)) return;
        var download = await api.DownloadAsync(artifact.Source.Uri, options.VerifyArtifacts, ct);
        if (options.LikeRealClient)
        {
            if (!await ReportAsync(id, "downloading", ct)) return;
        }

        var problem = download.Ok ? CompatibilityProblem(deployment, download) : download.Problem;
        if (problem is not null)
        {
            Log("error", problem);
            await FailAsync(id, log, ct);
            return;
        }
        if (options.LikeRealClient)
        {
            if (!await ReportAsync(id, "downloading", ct)) return;
        }
        Log("info", $"Downloaded {download.Bytes} bytes of {artifact.ArtifactName}");

        if (!await ReportAsync(id, "installing", ct)) return;
        var fails = new Random(Mix(options.Seed, Number, _finished)).NextDouble() < options.FailureRate;
        if (fails)
        {
            Log("error", "Update module terminated abnormally: exit status 1 (simulated failure)");
            await FailAsync(id, log, ct);
            return;
        }
        if (options.LikeRealClient)
        {
            // The client drops its token before the commit and authenticates again.
            _token = null;
            await AuthenticateAsync(ct);
            if (!await ReportAsync(id, "installing", ct)) return;
        }
        var reboots = options.Reboot || download.Artifact?.Payloads.Any(p => p.Type == "rootfs-image") == true;
        if (reboots && !await ReportAsync(id, "rebooting", ct)) return;
        if (!await ReportAsync(id, "success", ct)) return;
        stats.DeploymentSucceeded();
        Installed(artifact.ArtifactName, download);
    }

    /// <summary>What the client checks after reading the header; null when the artifact fits this device.</summary>
    private string? CompatibilityProblem(DeploymentInstructions deployment, DownloadResult download)
    {
        if (download.Artifact is not { } read) return null;
        if (read.Name != deployment.Artifact.ArtifactName)
            return $"Artifact name in the artifact ({read.Name}) is not what the server claims ({deployment.Artifact.ArtifactName})";
        if (deployment.Artifact.DeviceTypesCompatible.Any(t => !read.DeviceTypesCompatible.Contains(t)))
            return "Compatible devices in artifact is not what the server claims";
        if (!read.DeviceTypesCompatible.Contains(options.DeviceType))
            return $"image (device types [{string.Join(' ', read.DeviceTypesCompatible)}]) not compatible with device {options.DeviceType}";
        return null;
    }

    /// <summary>After a commit the device provides what the artifact provides, minus what it clears.</summary>
    private void Installed(string artifactName, DownloadResult download)
    {
        if (download.Artifact is { } artifact)
        {
            foreach (var pattern in artifact.ClearsProvides)
            {
                var glob = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                foreach (var key in _provides.Keys.Where(k => k != "device_type" && glob.IsMatch(k)).ToList()) _provides.Remove(key);
            }
            foreach (var (key, value) in artifact.Provides) _provides[key] = value;
        }
        _provides["artifact_name"] = artifactName;
    }

    private async Task FailAsync(string deploymentId, List<LogMessage> log, CancellationToken ct)
    {
        if (!await ReportAsync(deploymentId, "failure", ct)) return;
        stats.DeploymentFailed();
        var (status, _) = await AuthorizedAsync(async token => (await api.UploadLogAsync(token, deploymentId, log, ct), 0), r => r.Item1, ct);
        if (status == 204) stats.LogUploaded();
    }

    /// <summary>Reports a status; false when the deployment was aborted (409) and the device should stop working on it.</summary>
    private async Task<bool> ReportAsync(string deploymentId, string status, CancellationToken ct)
    {
        var (code, _) = await AuthorizedAsync(async token => (await api.ReportStatusAsync(token, deploymentId, status, ct), 0), r => r.Item1, ct);
        if (code != 409) return true;
        stats.DeploymentAborted();
        return false;
    }

    private async Task SendInventoryAsync(CancellationToken ct)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_type"] = options.DeviceType,
            ["artifact_name"] = _provides["artifact_name"],
            ["mender_client_version"] = "3.4.0-sim",
            ["sim_fleet"] = options.Prefix,
            ["sim_ring"] = (Number % 10).ToString(CultureInfo.InvariantCulture),
        };
        await AuthorizedAsync(async token => (await api.SendInventoryAsync(token, attributes, ct), 0), r => r.Item1, ct);
    }

    /// <summary>Runs a call with the token; on 401 authenticates again and retries once, as the client does.</summary>
    private async Task<T> AuthorizedAsync<T>(Func<string, Task<T>> call, Func<T, int> statusOf, CancellationToken ct)
    {
        if (_token is null) await AuthenticateAsync(ct);
        var result = await call(_token!);
        if (statusOf(result) != 401) return result;
        _token = null;
        await AuthenticateAsync(ct);
        return await call(_token!);
    }

    /// <summary>Auth requests until accepted: 401 means pending (or rejected), so wait and ask again.</summary>
    private async Task AuthenticateAsync(CancellationToken ct)
    {
        var body = DeviceApi.AuthRequestBody(IdentityJson, _key.PublicKeyPem);
        var signature = _key.Sign(body);
        while (true)
        {
            var (status, token) = await api.AuthenticateAsync(body, signature, ct);
            if (status == 200 && token.Length > 0 && !token.Any(char.IsWhiteSpace))
            {
                if (!_accepted) stats.DeviceAuthenticated();
                _accepted = true;
                _token = token;
                return;
            }
            if (status == 200) stats.Unexpected("auth", 200, "the token is empty or contains whitespace, which breaks the real client's Authorization header");
            await Task.Delay(Jittered(options.RetryInterval), ct);
        }
    }

    private TimeSpan Jittered(TimeSpan interval) => interval * (0.8 + (0.4 * _jitter.NextDouble()));

    private static int Mix(int seed, int device, int deployment) =>
        unchecked((seed * 1_000_003) ^ (device * 7_919) ^ ((deployment + 2) * 104_729));

    public void Dispose() => _key.Dispose();
}
