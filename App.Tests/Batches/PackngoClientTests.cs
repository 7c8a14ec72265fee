using System.Diagnostics;
using Dashboard.App.Tests.Api;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Batches;

/// <summary>The real Packet Go client (Debian's packngo 0.2.0), unchanged, against the real server.</summary>
[Collection(AppCollection.Name)]
public sealed class PackngoClientTests(AppFixture fixture)
{
    private const string GoPath = "/usr/share/gocode";

    [Fact]
    public async Task Packngo_BatchServiceCreateListGetDelete_WorkAgainstTheServer()
    {
        Assert.True(File.Exists("/usr/bin/go"), "needs golang-go: apt-get install -y golang-go golang-github-packethost-packngo-dev (.ci/run does)");
        Assert.True(Directory.Exists($"{GoPath}/src/github.com/packethost/packngo"), "needs golang-github-packethost-packngo-dev");
        using var cache = new TempDirectory();
        var program = Path.Combine(AppContext.BaseDirectory, "Batches", "packngo", "main.go");
        var start = new ProcessStartInfo("go", ["run", program, fixture.App.BaseAddress.ToString().TrimEnd('/'), DashboardApp.BootstrapToken, PacketApiTests.DemoProject])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["GO111MODULE"] = "off", ["GOPATH"] = GoPath, ["GOCACHE"] = cache.Path, ["GOFLAGS"] = "" },
        };

        using var go = Process.Start(start)!;
        var stdout = go.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = go.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await go.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            go.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(go.ExitCode == 0, $"go run failed ({go.ExitCode}):\n{await stdout}\n{await stderr}");
        Assert.Contains("OK: packngo BatchService", await stdout, StringComparison.Ordinal);
    }
}
