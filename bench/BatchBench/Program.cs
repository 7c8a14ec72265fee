// Batch provisioning benchmark: a 10,000-device batch over 20 facilities.
//   placement (pure PlacementService.Place)                target <= 200 ms
//   provisioning with a zero-delay simulated provisioner   target <= 5 s
// Run: dotnet run -c Release --project bench/BatchBench
using System.Diagnostics;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

const int Quantity = 10_000;
const int FacilityCount = 20;
const string Plan = "c1.small.x86";

var random = new Random(20261122);
var facilities = Enumerable.Range(1, FacilityCount)
    .Select(i => new FacilityAvailability($"f{i:00}", 400 + random.Next(800), 0.02 + random.NextDouble() / 10))
    .ToList();
Console.WriteLine($"{FacilityCount} facilities, {facilities.Sum(f => f.Available)} servers of {Plan} available; batch of {Quantity}");

// 1. Placement: the pure service, several request shapes, timed over many runs after a warm-up.
PlacementRequest[] shapes =
[
    new(Quantity, ["any"]),
    new(Quantity, ["f03", "f07", "f11", "any"], 15),
    new(Quantity, ["any"], 20, 0.11),
];
foreach (var shape in shapes)
{
    PlacementService.Place(shape, facilities);
    var times = new List<double>();
    Placement? placement = null;
    for (var i = 0; i < 200; i++)
    {
        var sw = Stopwatch.StartNew();
        placement = PlacementService.Place(shape, facilities);
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    var shapeText = $"facility=[{string.Join(",", shape.Facilities)}] diversity={shape.DiversityLevel?.ToString() ?? "-"} spot_max={shape.SpotPriceMax?.ToString("0.00") ?? "-"}";
    Console.WriteLine($"placement {shapeText}: median {times[times.Count / 2]:0.000} ms, max {times[^1]:0.000} ms, " +
        (placement!.Succeeded ? $"{placement.Allocations.Count} facilities" : placement.Error));
}

// 2. Provisioning: the real service on a real SQLite file, zero-delay simulated provisioner.
var directory = Path.Combine(Path.GetTempPath(), "dashboard-bench-" + Guid.NewGuid().ToString("N")[..8]);
var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:DataDirectory"] = directory })
    .Build();
var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
services.AddDashboardData();
services.AddSingleton(new ProvisionerSettings { DelayMs = 0, FailureRate = 0, Parallelism = 64 });
await using var provider = services.BuildServiceProvider();
try
{
    await using (var db = await provider.GetRequiredService<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync())
    {
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;");
        await db.Database.MigrateAsync();
    }
    await provider.GetRequiredService<FleetImporter>().ImportAsync(new FleetFile
    {
        Projects = [new FleetProject { Id = "bench", Name = "Bench" }],
        Plans = [new FleetPlan { Slug = Plan, Name = "Type 1", HourlyPrice = 0.4 }],
        OperatingSystems = [new FleetOperatingSystem { Slug = "debian_12", Name = "Debian 12" }],
        Facilities = [.. facilities.Select(f => new FleetFacility { Code = f.Code, Name = f.Code, Metro = "m", Capacity = { [Plan] = f.Available } })],
    }, "bench");

    var batches = provider.GetRequiredService<BatchService>();
    var runner = provider.GetRequiredService<BatchRunner>();
    // Warm-up: a small batch first, so the figure is a running server's, not the JIT's.
    var warm = Stopwatch.StartNew();
    var warmup = (await batches.SubmitAsync("bench", [new BatchRequest { Hostname = "warm{{index}}", Plan = Plan, OperatingSystem = "debian_12", Facilities = ["any"], Quantity = 10 }], "bench")).Single();
    await runner.RunAsync(warmup.Id, CancellationToken.None);
    Console.WriteLine($"warm-up batch of 10 (cold start): {warm.ElapsedMilliseconds} ms");
    var request = new BatchRequest { Hostname = "node{{index}}", Plan = Plan, OperatingSystem = "debian_12", Facilities = ["any"], Quantity = Quantity };
    var total = Stopwatch.StartNew();
    var submit = Stopwatch.StartNew();
    var batch = (await batches.SubmitAsync("bench", [request], "bench")).Single();
    submit.Stop();
    var process = Stopwatch.StartNew();
    await runner.RunAsync(batch.Id, CancellationToken.None);
    process.Stop();
    total.Stop();

    var detail = (await batches.GetAsync(batch.Id))!;
    Console.WriteLine($"provisioning: submit {submit.ElapsedMilliseconds} ms, place+reserve+provision+finish {process.ElapsedMilliseconds} ms, " +
        $"total {total.ElapsedMilliseconds} ms; state {detail.Batch.State}, {detail.Devices.Count(d => d.State == DeviceStates.Active)} active devices " +
        $"in {detail.Devices.Select(d => d.FacilityCode).Distinct().Count()} facilities");
    return detail.Batch.State == BatchStates.Completed ? 0 : 1;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
}
