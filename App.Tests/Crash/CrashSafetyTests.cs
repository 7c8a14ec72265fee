using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Crash;

/// <summary>
/// Issue 12, crash safety: SIGKILL in the middle of a phased rollout with devices reporting, a batch
/// provisioning, a canary deployment rolling and change events arriving; restarted on the same data
/// each time; nothing acknowledged lost, nothing done twice, work resumed within 5 s of start-up.
/// The CI size here; the benchmark size (10,000 devices, a 200-device batch, 20 kills) runs with
/// <c>DASHBOARD_BENCH=1</c> (bench/crash.sh).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CrashSafetyTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public Task KillNineDuringWork_LosesAndDoublesNothing_AndResumesWithin5s(string provider) =>
        RunAsync(provider, CrashSize.Ci);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public Task Benchmark_10000DeviceRollout_200DeviceBatch_20Kills(string provider)
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_BENCH") != "1") Assert.Skip("A benchmark: run with DASHBOARD_BENCH=1 (bench/crash.sh).");
        return RunAsync(provider, CrashSize.Benchmark);
    }

    private async Task RunAsync(string provider, CrashSize size)
    {
        using var data = new TempDirectory();
        var settings = CrashRun.Settings(data.Path, size);
        if (provider == "postgres")
        {
            if (postgres.Unavailable is { } why) Assert.Skip(why);
            settings["Dashboard:DatabaseProvider"] = "postgres";
            settings["Dashboard:ConnectionString"] = postgres.NewDatabase();
        }
        var label = $"{provider}, {size.Devices:N0} devices";
        await new CrashRun(size, settings, line => Report(label, line)).RunAsync();
    }

    private static void Report(string label, string line)
    {
        TestContext.Current.SendDiagnosticMessage($"[{label}] {line}");
        File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "crash-figures.txt"), $"{DateTime.UtcNow:O} [{label}] {line}\n");
    }
}
