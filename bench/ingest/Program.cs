// Sends BigPanda deployment start and end events to a running dashboard from many concurrent
// clients for a fixed time, and reports throughput and latency. Each request is acknowledged by
// the server only after its commit, so latency includes the durable write.
//
//   dotnet run -c Release --project bench/ingest -- URL TOKEN [concurrency=64] [seconds=15] [warmupSeconds=3] [rate=0]
//
// With a rate (events/s over all clients), requests are paced to that rate instead of sent back to
// back, so the server's CPU per event can be read at a fixed load (bench/ingest.sh RATE=200).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

var url = args.Length > 0 ? args[0].TrimEnd('/') : "http://127.0.0.1:5099";
var token = args.Length > 1 ? args[1] : "bench-token";
var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
var seconds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 15;
var warmup = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
var rate = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 0;
if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || !IPAddress.TryParse(baseUri.Host, out var ip) || !IPAddress.IsLoopback(ip))
{
    Console.Error.WriteLine("Load goes to a loopback address only (http://127.0.0.1:PORT).");
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = baseUri,
    Timeout = TimeSpan.FromSeconds(30),
};
http.DefaultRequestHeaders.Authorization = new("Bearer", token);

var counter = 0L;
var sent = 0L;
var errors = 0L;
var completed = 0L;
var paceStart = Stopwatch.GetTimestamp();
var measuring = false;
var stop = false;
var latencies = new List<double>[concurrency];

async Task WorkerAsync(int worker)
{
    var mine = latencies[worker] = new List<double>(100_000);
    while (!Volatile.Read(ref stop))
    {
        var n = Interlocked.Increment(ref counter);
        var body = $$"""{"component":"bench-{{n % 40}}","version":"{{n}}","hosts":["prod-{{n % 97}}","prod-{{(n + 1) % 97}}"],"owner":"bench","source":"bench"}""";
        foreach (var path in new[] { "/data/events/deployments/start", "/data/events/deployments/end" })
        {
            if (rate > 0)
            {
                // Each event has its slot on one shared schedule; a client that is early waits for it.
                var due = TimeSpan.FromSeconds((double)Interlocked.Increment(ref sent) / rate) - Stopwatch.GetElapsedTime(paceStart);
                if (due > TimeSpan.Zero) await Task.Delay(due);
            }
            if (Volatile.Read(ref stop)) break;
            var started = Stopwatch.GetTimestamp();
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            try
            {
                using var response = await http.PostAsync(path, content);
                if (response.StatusCode != HttpStatusCode.Created) Interlocked.Increment(ref errors);
            }
            catch (HttpRequestException) { Interlocked.Increment(ref errors); }
            Interlocked.Increment(ref completed);
            if (Volatile.Read(ref measuring)) mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}

var workers = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => WorkerAsync(i))).ToArray();
await Task.Delay(TimeSpan.FromSeconds(warmup));
Volatile.Write(ref measuring, true);
var clock = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(seconds));
Volatile.Write(ref measuring, false);
clock.Stop();
Volatile.Write(ref stop, true);
await Task.WhenAll(workers);

var all = latencies.SelectMany(l => l).Order().ToArray();
double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"concurrency {concurrency}, {clock.Elapsed.TotalSeconds:0.0}s measured: {all.Length} events, {all.Length / clock.Elapsed.TotalSeconds:0} events/s, " +
    $"p50 {P(0.50):0.0} ms, p90 {P(0.90):0.0} ms, p99 {P(0.99):0.0} ms, max {all.LastOrDefault():0.0} ms, errors {Interlocked.Read(ref errors)}, requests in all (warm-up included) {Interlocked.Read(ref completed)}"));
return errors == 0 ? 0 : 1;
