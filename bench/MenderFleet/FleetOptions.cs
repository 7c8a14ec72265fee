using System.Globalization;
using System.Net;

namespace Dashboard.MenderFleet;

/// <summary>Command-line options of the simulator; <see cref="Usage"/> lists them.</summary>
public sealed class FleetOptions
{
    public Uri Server { get; set; } = new("http://127.0.0.1:5000");
    public int Devices { get; set; } = 100;
    public int Concurrency { get; set; } = 64;
    /// <summary>Device requests per second over the whole fleet; 0 = as fast as the concurrency allows.</summary>
    public double Rate { get; set; }
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan InventoryInterval { get; set; } = TimeSpan.Zero;
    public TimeSpan ReportEvery { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Each device stops after this many finished deployments; 0 = poll until the duration ends.</summary>
    public int Deployments { get; set; } = 1;
    public string DeviceType { get; set; } = "sim-device";
    public string ArtifactName { get; set; } = "sim-release-0";
    public string Prefix { get; set; } = "sim-" + Guid.NewGuid().ToString("N")[..6];
    public double FailureRate { get; set; }
    public int Seed { get; set; } = 1;
    public bool Accept { get; set; }
    public string? AdminToken { get; set; }
    public string? AdminUser { get; set; }
    public string? AdminPassword { get; set; }
    public bool VerifyArtifacts { get; set; } = true;
    public bool Chunked { get; set; } = true;
    /// <summary>Send every status report the Mender 3.4 client sends (downloading x3, installing x2) and re-authenticate before the commit.</summary>
    public bool LikeRealClient { get; set; } = true;
    public bool Reboot { get; set; }
    /// <summary><c>ecdsa</c> (P-256), <c>ed25519</c>, <c>rsa</c> (2048) or <c>mixed</c>.</summary>
    public string KeyKind { get; set; } = "ecdsa";
    /// <summary>Where to write the final figures as JSON (for scripts and docs/BENCHMARKS.md); none when null.</summary>
    public string? SummaryFile { get; set; }
    /// <summary>Devices start over this period rather than all at once.</summary>
    public TimeSpan RampUp { get; set; } = TimeSpan.FromSeconds(2);

    public const string Usage = """
        Mender fleet simulator: virtual devices on Mender's device API with real signatures.

          dotnet run -c Release --project bench/MenderFleet -- [options]

          --server URL            dashboard base address, loopback only (http://127.0.0.1:5000)
          --devices N             virtual devices (100)
          --concurrency N         requests in flight at most (64)
          --rate R                device requests per second over the fleet; 0 = unlimited (0)
          --duration S            stop after S seconds (300)
          --deployments N         a device stops after N finished deployments; 0 = never (1)
          --poll S                seconds between update checks, jittered (5)
          --retry S               seconds between auth attempts while pending (2)
          --inventory S           resend inventory every S seconds; 0 = only at start and after deployments (0)
          --ramp-up S             start devices over S seconds (2)
          --device-type T         device_type of every device (sim-device)
          --artifact-name A       artifact installed at start (sim-release-0)
          --key K                 device keys: ecdsa (P-256), ed25519, rsa (2048, slow to make), mixed (ecdsa)
          --prefix P              identity prefix: devices are {"mac":..,"sn":"P-00001"} (random)
          --failure-rate F        fraction of installs that fail and upload a log, 0..1 (0)
          --seed N                seed for failures and jitter (1)
          --accept                accept this run's pending devices through the devauth management API
          --admin-token T         management token for --accept
          --admin-user U --admin-password P   or log in for one (POST /api/management/v1/useradm/auth/login)
          --no-verify             do not read downloaded artifacts (name, device types, checksums)
          --no-chunked            send request bodies with Content-Length instead of chunked
          --minimal               one status report per step, no re-auth before commit
          --reboot                report rebooting before success (auto for rootfs-image payloads)
          --report-every S        progress line every S seconds (5)
          --summary FILE          also write the final figures to FILE as JSON
        """;

    public static FleetOptions Parse(IReadOnlyList<string> args)
    {
        var options = new FleetOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            double Number() => double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
            int Integer() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            TimeSpan Seconds() => TimeSpan.FromSeconds(Number());
            switch (name)
            {
                case "--server": options.Server = new Uri(Value().TrimEnd('/') + "/"); break;
                case "--devices": options.Devices = Integer(); break;
                case "--concurrency": options.Concurrency = Integer(); break;
                case "--rate": options.Rate = Number(); break;
                case "--duration": options.Duration = Seconds(); break;
                case "--deployments": options.Deployments = Integer(); break;
                case "--poll": options.PollInterval = Seconds(); break;
                case "--retry": options.RetryInterval = Seconds(); break;
                case "--inventory": options.InventoryInterval = Seconds(); break;
                case "--ramp-up": options.RampUp = Seconds(); break;
                case "--device-type": options.DeviceType = Value(); break;
                case "--artifact-name": options.ArtifactName = Value(); break;
                case "--prefix": options.Prefix = Value(); break;
                case "--key": options.KeyKind = Value(); break;
                case "--failure-rate": options.FailureRate = Number(); break;
                case "--seed": options.Seed = Integer(); break;
                case "--accept": options.Accept = true; break;
                case "--admin-token": options.AdminToken = Value(); break;
                case "--admin-user": options.AdminUser = Value(); break;
                case "--admin-password": options.AdminPassword = Value(); break;
                case "--no-verify": options.VerifyArtifacts = false; break;
                case "--no-chunked": options.Chunked = false; break;
                case "--minimal": options.LikeRealClient = false; break;
                case "--reboot": options.Reboot = true; break;
                case "--report-every": options.ReportEvery = Seconds(); break;
                case "--summary": options.SummaryFile = Value(); break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }
        options.Validate();
        return options;
    }

    public static bool IsLoopback(Uri uri) =>
        uri.Host == "localhost" || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));

    public void Validate()
    {
        if (!IsLoopback(Server))
            throw new ArgumentException("--server must be a loopback address (http://127.0.0.1:PORT): load goes nowhere else.");
        if (Devices < 1) throw new ArgumentException("--devices must be at least 1.");
        if (Concurrency < 1) throw new ArgumentException("--concurrency must be at least 1.");
        if (Rate < 0) throw new ArgumentException("--rate must not be negative.");
        if (FailureRate is < 0 or > 1) throw new ArgumentException("--failure-rate is a fraction from 0 to 1.");
        if (Accept && AdminToken is null && (AdminUser is null || AdminPassword is null))
            throw new ArgumentException("--accept needs --admin-token, or --admin-user and --admin-password.");
        if (KeyKind is not ("ecdsa" or "ed25519" or "rsa" or "mixed")) throw new ArgumentException("--key is ecdsa, ed25519, rsa or mixed.");
        if (PollInterval <= TimeSpan.Zero || RetryInterval <= TimeSpan.Zero) throw new ArgumentException("--poll and --retry must be positive.");
    }
}
