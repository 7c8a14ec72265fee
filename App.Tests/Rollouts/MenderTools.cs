using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// Debian's real <c>mender</c> 3.4 daemon, set up as observed-wire.md describes: the fixed-path
/// identity script and <c>/etc/mender/artifact_info</c> (global: one daemon at a time), a config with
/// short poll intervals, its own data directory, no syslog, DBus off.
/// </summary>
public sealed class MenderDaemon : IAsyncDisposable
{
    public const string Binary = "/usr/bin/mender";
    private const string IdentityScript = "/usr/share/mender/identity/mender-device-identity";
    private const string ArtifactInfo = "/etc/mender/artifact_info";

    private readonly TempDirectory _data = new();
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public MenderDaemon(Uri server, string mac, string deviceType, string installedArtifact)
    {
        Assert.True(File.Exists(Binary), "needs mender-client: apt-get install -y mender-client mender-cli mender-artifact (.ci/run does)");
        Mac = mac;
        Directory.CreateDirectory(Path.GetDirectoryName(IdentityScript)!);
        File.WriteAllText(IdentityScript, "#!/bin/sh\necho \"mac=${DEVICE_MAC:-02:00:00:00:00:01}\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(IdentityScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Directory.CreateDirectory(Path.GetDirectoryName(ArtifactInfo)!);
        File.WriteAllText(ArtifactInfo, $"artifact_name={installedArtifact}\n");
        File.WriteAllText(Path.Combine(_data.Path, "device_type"), $"device_type={deviceType}\n");
        var config = Path.Combine(_data.Path, "mender.conf");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            ServerURL = server.ToString().TrimEnd('/'),
            TenantToken = "",
            UpdatePollIntervalSeconds = 1,
            InventoryPollIntervalSeconds = 2,
            RetryPollIntervalSeconds = 1,
            DBus = new { Enabled = false },
        }));

        var start = new ProcessStartInfo(Binary, ["-c", config, "-b", Path.Combine(_data.Path, "no-fallback.conf"), "-d", _data.Path, "-l", "debug", "--no-syslog", "daemon"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["DEVICE_MAC"] = mac },
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Mac { get; }

    public string DataDirectory => _data.Path;

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Asks the daemon to check for an update now (SIGUSR1), instead of waiting for its poll.</summary>
    public void CheckUpdateNow() => Signal("USR1");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _data.Dispose();
    }
}

/// <summary>Runs Debian's <c>mender-cli</c> 1.9 and <c>mender-artifact</c> 3.9 with a private HOME (its token file lives there).</summary>
public static class MenderCommands
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string binary, IEnumerable<string> arguments, string? home = null, string? workingDirectory = null)
    {
        Assert.True(File.Exists(binary), $"needs {binary}: apt-get install -y mender-client mender-cli mender-artifact (.ci/run does)");
        var start = new ProcessStartInfo(binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        if (home is not null)
        {
            start.Environment["HOME"] = home;
            start.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw; }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A single-file update-module artifact; an empty <paramref name="destination"/> makes the install fail in the module.</summary>
    public static async Task<string> SingleFileArtifactAsync(string directory, string name, string deviceType, string destination, string content = "hello from the dashboard\n")
    {
        var work = Path.Combine(directory, name);
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "dest_dir"), destination);
        await File.WriteAllTextAsync(Path.Combine(work, "filename"), "hello.txt");
        await File.WriteAllTextAsync(Path.Combine(work, "hello.txt"), content);
        var output = Path.Combine(directory, name + ".mender");
        var (code, text) = await RunAsync("/usr/bin/mender-artifact",
            ["write", "module-image", "-T", "single-file", "-t", deviceType, "-n", name, "-o", output, "-f", "dest_dir", "-f", "filename", "-f", "hello.txt"],
            workingDirectory: work);
        Assert.True(code == 0, $"mender-artifact failed: {text}");
        return output;
    }
}
