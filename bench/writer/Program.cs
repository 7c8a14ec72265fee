// The change writer's CPU per event without HTTP: ChangeService on a fresh SQLite file in a temp
// directory, driven by C concurrent callers, each sending a start and then the matching end. With one
// caller every event is its own commit (what the writer does at a few hundred events a second); with
// many, commits group. Prints the process's CPU time per 1,000 events, which is what shares the cores.
//
//   dotnet run -c Release --project bench/writer -- [callers=1] [events=4000] [rounds=3]
using System.Diagnostics;
using System.Globalization;
using Dashboard.Data;
using Dashboard.Data.Changes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var callers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4000;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;

var directory = Directory.CreateTempSubdirectory("dashboard-writer-bench-");
try
{
    var configuration = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:DataDirectory"] = directory.FullName })
        .Build();
    await using var provider = new ServiceCollection()
        .AddSingleton<IConfiguration>(configuration)
        .AddLogging()
        .AddDashboardData()
        .BuildServiceProvider();
    await using (var db = await provider.GetRequiredService<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync())
    {
        await db.Database.MigrateAsync();
    }
    var changes = provider.GetRequiredService<ChangeService>();
    var next = 0L;

    async Task CallerAsync(int count)
    {
        for (var i = 0; i < count; i += 2)
        {
            var n = Interlocked.Increment(ref next);
            string[] hosts = [$"prod-{n % 97}", $"prod-{(n + 1) % 97}"];
            await changes.StartAsync(new DeploymentStart($"bench-{n % 40}", n.ToString(CultureInfo.InvariantCulture), hosts, Owner: "bench", Source: "bench"));
            await changes.EndAsync(new DeploymentEnd($"bench-{n % 40}", n.ToString(CultureInfo.InvariantCulture), hosts, ChangeStatuses.Success, Source: "bench"));
        }
    }

    Task RoundAsync() => Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => CallerAsync(events / callers))));

    await RoundAsync(); // warm-up: JIT, tiering, the pools
    for (var round = 1; round <= rounds; round++)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var clock = Stopwatch.StartNew();
        await RoundAsync();
        clock.Stop();
        process.Refresh();
        var used = process.TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"callers {callers}, round {round}: {events} events in {clock.Elapsed.TotalSeconds:0.00} s ({events / clock.Elapsed.TotalSeconds:0} events/s), " +
            $"CPU {used.TotalMilliseconds:0} ms, {used.TotalMilliseconds * 1000 / events:0} ms per 1,000 events, {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods compiled; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    directory.Delete(recursive: true);
}
