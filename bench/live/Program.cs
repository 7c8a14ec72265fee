// Live pages, measured from outside the app: the Release app runs in its own process (bench/live.sh
// starts it); this driver opens pages in Debian's Chromium, sends BigPanda change events over HTTP,
// and times, inside each page, the moment each event's text appears in the DOM (a MutationObserver,
// wall-clock times on this machine), against the moment its POST was sent.
//
//   dotnet bench/live/bin/Release/net10.0/Dashboard.LiveBench.dll URL TOKEN APP_PID SCENARIO [args]
//     timeline PAGES RATE SECONDS     N timeline pages, RATE events/s for SECONDS
//     idle PAGES [PATH]               server memory per open circuit (needs Dashboard:Bench:GcEndpoint=true)
//     kiosk WIDTH HEIGHT RATE SECONDS one kiosk with the CPU throttled 4x
//     profile RATE SECONDS [PAGES]    a CPU profile of the first of PAGES timeline pages, by function
//     floor PAGES FPS SECONDS         Chromium's own floor: plain pages that insert a row FPS times a second (no app)
//     trace PAGES RATE SECONDS        where the browser's CPU goes: a Chromium trace, CPU time by thread and task
//   dotnet .../Dashboard.LiveBench.dll summarize TRACE.json   the same summary of a trace taken elsewhere
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;

var inv = CultureInfo.InvariantCulture;
// A trace from elsewhere (bench/live-floor's TRACE=file), summed the same way as the trace scenario's own.
if (args is ["summarize", var tracePath]) { SummarizeTrace(tracePath); return 0; }
if (args.Length < 4) { Console.Error.WriteLine("usage: URL TOKEN APP_PID timeline|idle|kiosk ..."); return 2; }
var baseUri = new Uri(args[0].TrimEnd('/') + "/");
if (!IPAddress.TryParse(baseUri.Host, out var ip) || !IPAddress.IsLoopback(ip)) { Console.Error.WriteLine("Loopback addresses only."); return 2; }
var token = args[1];
var appPid = int.Parse(args[2], inv);
var scenario = args[3];
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], inv) : fallback;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new("Bearer", token);

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            // Many tabs in one headless browser: keep every page's timers and rendering running.
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"],
    // Playwright adds --disable-dev-shm-usage (for containers whose /dev/shm is tiny): Chromium then keeps its
    // shared memory (every frame's pixels between renderer and compositor) in files under /tmp, on this
    // machine's disk, and the kernel writes them back while the app's SQLite commits wait on the same journal.
    // A screen in an operations room has a normal /dev/shm; so does this machine (tmpfs, 24 GiB).
    IgnoreDefaultArgs = Environment.GetEnvironmentVariable("BENCH_DISK_SHM") == "1" ? [] : ["--disable-dev-shm-usage"],
});

// Timestamps, inside the page, the first time each "lb N started" title appears; also long tasks (main-thread work over 50 ms).
const string Observer = """
    (selector) => {
      window.__seen = {}; window.__long = { count: 0, ms: 0 }; window.__batches = 0;
      const mark = (el, now) => { const m = /^lb (\d+) started$/.exec(el.textContent); if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = now; };
      new MutationObserver(records => {
        const now = performance.timeOrigin + performance.now();
        window.__batches++;
        for (const r of records) for (const n of r.addedNodes) {
          if (n.nodeType !== 1) { if (n.parentElement && n.parentElement.matches(selector)) mark(n.parentElement, now); continue; }
          if (n.matches(selector)) mark(n, now);
          for (const el of n.querySelectorAll(selector)) mark(el, now);
        }
      }).observe(document.body, { childList: true, subtree: true });
      try { new PerformanceObserver(l => { for (const e of l.getEntries()) { window.__long.count++; window.__long.ms += e.duration; } }).observe({ type: 'longtask', buffered: false }); } catch {}
    }
    """;

// When each POST's response came back (the entry was committed and published by then), per event.
double[] committed = [];

switch (scenario)
{
    case "timeline": await TimelineAsync(Arg(4, 20), Arg(5, 200), Arg(6, 10)); break;
    case "idle": await IdleAsync(Arg(4, 100), args.Length > 5 ? args[5] : "/"); break;
    case "profile": await ProfileAsync(Arg(4, 200), Arg(5, 5), Arg(6, 1)); break;
    case "kiosk": await KioskAsync(Arg(4, 800), Arg(5, 480), Arg(6, 200), Arg(7, 60)); break;
    case "trace": await TraceAsync(Arg(4, 20), Arg(5, 200), Arg(6, 5)); break;
    case "floor": await FloorAsync(Arg(4, 20), Arg(5, 20), Arg(6, 10)); break;
    default: Console.Error.WriteLine($"unknown scenario {scenario}"); return 2;
}
return 0;

async Task<IBrowserContext> SignedInContextAsync(int width = 1280, int height = 800)
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUri.ToString(), ViewportSize = new() { Width = width, Height = height } });
    context.SetDefaultTimeout(30_000);
    var page = await context.NewPageAsync();
    await page.GotoAsync("/login?returnUrl=%2Fsettings%2Ftokens");
    await page.FillAsync("#username", "admin");
    await page.FillAsync("#password", Environment.GetEnvironmentVariable("BENCH_PASSWORD") ?? "bench");
    await page.ClickAsync("button[type=submit]");
    await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
    await page.CloseAsync();
    return context;
}

async Task<List<IPage>> OpenAsync(IBrowserContext context, int count, string path, string liveSelector, string titleSelector)
{
    var pages = new List<IPage>();
    for (var i = 0; i < count; i++)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        try { await page.Locator(liveSelector).First.WaitForAsync(); }
        catch (TimeoutException)
        {
            await page.ScreenshotAsync(new() { Path = "bin/not-live.png" });
            Console.Error.WriteLine($"page {i} at {page.Url} never went live; see bench/live/bin/not-live.png");
            throw;
        }
        await page.EvaluateAsync(Observer, titleSelector);
        // For trying a style change without a new build (BENCH_CSS="..."); unset in every recorded figure.
        if (Environment.GetEnvironmentVariable("BENCH_CSS") is { Length: > 0 } css) await page.AddStyleTagAsync(new() { Content = css });
        if (Environment.GetEnvironmentVariable("BENCH_JS") is { Length: > 0 } js) await page.EvaluateAsync(js);
        pages.Add(page);
    }
    return pages;
}

async Task<(double[] Sent, double Seconds)> SendAsync(int rate, int seconds, int offset)
{
    var total = rate * seconds;
    var sent = new double[total];
    var done = committed = new double[total];
    var posts = new List<Task<HttpStatusCode>>(total);
    var clock = Stopwatch.StartNew();
    var epoch = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - clock.Elapsed.TotalMilliseconds;
    async Task<HttpStatusCode> PostAsync(int i, string body)
    {
        try
        {
            using var response = await http.PostAsync("data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"));
            done[i] = epoch + clock.Elapsed.TotalMilliseconds;
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 0; // counted as failed: on a loaded machine the server's ingest can fall a minute behind
        }
    }
    for (var i = 0; i < total; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / rate);
        if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
        sent[i] = epoch + clock.Elapsed.TotalMilliseconds;
        var body = $$"""{"component":"lb","version":"{{offset + i}}","hosts":["prod-api-{{i % 7}}"],"owner":"bench"}""";
        posts.Add(PostAsync(i, body));
    }
    var statuses = await Task.WhenAll(posts);
    var failed = statuses.Count(s => s != HttpStatusCode.Created);
    if (failed > 0) Console.WriteLine($"  {failed} POSTs failed");
    return (sent, clock.Elapsed.TotalSeconds);
}

// The page's share of the latency, apart from the server's ingest (sent -> committed), which on a
// loaded machine can dominate: committed -> on screen, per event seen, over the given pages.
async Task<string> SplitAsync(IEnumerable<IPage> pages, double[] sent, int offset)
{
    var ingest = Enumerable.Range(0, sent.Length).Where(i => committed[i] > 0).Select(i => committed[i] - sent[i]).Order().ToList();
    var page = new List<double>();
    foreach (var p in pages)
    {
        var seen = await p.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
        foreach (var (key, at) in seen)
        {
            var n = int.Parse(key, inv) - offset;
            if (n >= 0 && n < sent.Length && committed[n] > 0) page.Add(at - committed[n]);
        }
    }
    page.Sort();
    return string.Create(inv, $"ingest (POST sent -> response) p50 {P(ingest, .5):0} ms, p99 {P(ingest, .99):0} ms; committed -> on screen p50 {P(page, .5):0} ms, p99 {P(page, .99):0} ms");
}

async Task<List<double>> LatenciesAsync(IPage page, double[] sent, int offset, List<(double Sent, double Latency)>? timeline = null)
{
    var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
    var result = new List<double>();
    foreach (var (key, at) in seen)
    {
        var n = int.Parse(key, inv) - offset;
        if (n < 0 || n >= sent.Length) continue;
        result.Add(at - sent[n]);
        timeline?.Add((sent[n], at - sent[n]));
    }
    return result;
}

static double P(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Count) - 1))];

(double CpuSeconds, long RssKiB) Proc(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var ticks = long.Parse(fields[11], inv) + long.Parse(fields[12], inv);
    // A process that has exited but not been reaped (a zombie) has no VmRSS line: it holds no memory.
    var rss = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return (ticks / 100.0, rss is null ? 0 : long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], inv));
}

// The browser's cost: every process below this driver (Playwright's node driver and Chromium's processes).
(double CpuSeconds, long RssKiB) BrowserTree()
{
    var children = new Dictionary<int, List<int>>();
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
        try
        {
            var stat = File.ReadAllText($"{dir}/stat");
            var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], inv);
            (children.TryGetValue(ppid, out var list) ? list : children[ppid] = []).Add(pid);
        }
        catch (IOException) { }
    }
    double cpu = 0; long rss = 0;
    var stack = new Stack<int>(children.GetValueOrDefault(Environment.ProcessId, []));
    while (stack.Count > 0)
    {
        var pid = stack.Pop();
        try { var (c, r) = Proc(pid); cpu += c; rss += r; } catch (IOException) { }
        foreach (var child in children.GetValueOrDefault(pid, [])) stack.Push(child);
    }
    return (cpu, rss);
}

// Main-thread time from Chromium's performance timeline (CDP Performance.getMetrics, cumulative seconds).
async Task<ICDPSession> PerfAsync(IPage page)
{
    var cdp = await page.Context.NewCDPSessionAsync(page);
    await cdp.SendAsync("Performance.enable");
    return cdp;
}

async Task<Dictionary<string, double>> MetricsAsync(ICDPSession cdp)
{
    var result = await cdp.SendAsync("Performance.getMetrics");
    return result!.Value.GetProperty("metrics").EnumerateArray()
        .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
}

// Per DOM update (mutations a page applied in one go, one MutationObserver callback): main-thread task, script, style and layout time.
async Task<string> PerBatchAsync(IEnumerable<(IPage Page, ICDPSession Cdp, Dictionary<string, double> Before)> pages)
{
    double task = 0, script = 0, style = 0, layout = 0; var batches = 0;
    foreach (var (page, cdp, before) in pages)
    {
        var after = await MetricsAsync(cdp);
        double D(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        task += D("TaskDuration"); script += D("ScriptDuration"); style += D("RecalcStyleDuration"); layout += D("LayoutDuration");
        batches += await page.EvaluateAsync<int>("() => window.__batches");
    }
    if (batches == 0) return "no DOM updates";
    return string.Create(inv, $"{batches} DOM updates (MutationObserver callbacks); main thread per update {task * 1000 / batches:0.0} ms (script {script * 1000 / batches:0.0}, style {style * 1000 / batches:0.0}, layout {layout * 1000 / batches:0.0}, the rest paint and other work); main thread in all {task:0.0} s");
}

// The whole machine from /proc/stat (ticks): busy, idle and steal (time the hypervisor gave this VM's
// vCPUs to someone else), to tell a run slowed by its own work from one slowed by the host.
static (long Busy, long Idle, long Steal) Machine()
{
    var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(long.Parse).ToArray();
    return (f[0] + f[1] + f[2] + f[5] + f[6], f[3] + f[4], f[7]);
}

// CPU ticks of every process on the machine by name (Chromium's by --type, dotnet's by its dll), so a
// run's busy share can be split into the app, the browser, the driver and anyone else's work.
static Dictionary<string, long> ProcessTicks()
{
    var result = new Dictionary<string, long>();
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
        try
        {
            var stat = File.ReadAllText($"{dir}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var argv = File.ReadAllText($"{dir}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            if (argv.FirstOrDefault(a => a.StartsWith("--type=", StringComparison.Ordinal)) is { } type) name = $"chromium {type[7..]}";
            else if (name.Contains("chrom", StringComparison.Ordinal)) name = "chromium browser";
            else if (argv.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } dll) name = Path.GetFileName(dll);
            result[name] = result.GetValueOrDefault(name) + ticks;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
    }
    return result;
}

static string TopProcesses(Dictionary<string, long> before, Dictionary<string, long> after, double seconds) =>
    string.Join(", ", after.Select(kv => (kv.Key, Ticks: kv.Value - before.GetValueOrDefault(kv.Key)))
        .Where(x => x.Ticks > 0).OrderByDescending(x => x.Ticks).Take(9)
        .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Key} {x.Ticks / 100.0 / seconds:0.00}")));

// Chromium's renderer processes and the pages they carry: several pages in one renderer share one main thread.
static string Renderers()
{
    var count = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        try { if (File.ReadAllText($"{dir}/cmdline").Contains("--type=renderer", StringComparison.Ordinal)) count++; }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
    return $"{count} renderer processes";
}

// The machine's busy share (incl. steal) each second until the task ends: is a slow run short of CPU, or waiting?
static async Task<List<double>> SampleMachineAsync(Task until)
{
    var result = new List<double>();
    var last = Machine();
    while (!until.IsCompleted)
    {
        await Task.WhenAny(until, Task.Delay(1000));
        var now = Machine();
        var ticks = (double)(now.Busy + now.Idle + now.Steal - last.Busy - last.Idle - last.Steal);
        if (ticks > 0) result.Add(100 * (now.Busy + now.Steal - last.Busy - last.Steal) / ticks);
        last = now;
    }
    return result;
}

// The app's garbage collections and time paused in them (System.Runtime metrics on /metrics): a blocking
// gen2 collection stops every request and every circuit at once.
async Task<(double PauseSeconds, Dictionary<string, double> Collections)> GcMetricsAsync()
{
    var text = await http.GetStringAsync("metrics");
    double pause = 0; var collections = new Dictionary<string, double>();
    foreach (var line in text.Split('\n'))
    {
        if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
            pause += double.Parse(line[(line.LastIndexOf(' ') + 1)..], inv);
        else if (line.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal)
                 && System.Text.RegularExpressions.Regex.Match(line, "gc_heap_generation=\"(\\w+)\"") is { Success: true } m)
            collections[m.Groups[1].Value] = collections.GetValueOrDefault(m.Groups[1].Value) + double.Parse(line[(line.LastIndexOf(' ') + 1)..], inv);
    }
    return (pause, collections);
}

string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[..3].Aggregate((a, b) => a + " " + b);

async Task<long> GcAsync()
{
    using var response = await http.PostAsync("_bench/gc", null);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException("Start the app with Dashboard__Bench__GcEndpoint=true for the idle scenario.");
    var heap = (await response.Content.ReadFromJsonAsync<Dictionary<string, long>>())!["heapBytes"];
    await Task.Delay(1000);
    return heap;
}

async Task TimelineAsync(int count, int rate, int seconds)
{
    var context = await SignedInContextAsync();
    var pages = await OpenAsync(context, count, "/", "[data-testid=live-indicator][data-state=live]", "[data-testid=entry-title]");
    Console.WriteLine($"timeline: {count} pages open; machine load {Load()}");
    await Task.Delay(2000);
    // WARMUP=S: the same load for S seconds first, not measured, so the figures are the steady state of a
    // running server (its JIT's second tier, the pages' script engines, caches) and not its first seconds.
    if (int.TryParse(Environment.GetEnvironmentVariable("WARMUP"), out var warmup) && warmup > 0)
    {
        await SendAsync(rate, warmup, (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000) * 10_000 + 5_000_000);
        await Task.Delay(3000);
        Console.WriteLine($"timeline: warmed up with {rate}/s for {warmup} s; machine load {Load()}");
    }
    var perf = new List<(IPage, ICDPSession, Dictionary<string, double>)>();
    foreach (var page in pages)
    {
        var cdp = await PerfAsync(page);
        await page.EvaluateAsync("() => window.__batches = 0");
        perf.Add((page, cdp, await MetricsAsync(cdp)));
    }
    var gc0 = await GcMetricsAsync();
    var (server0, browser0, machine0, processes0) = (Proc(appPid), BrowserTree(), Machine(), ProcessTicks());
    var offset = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000) * 10_000;
    var sending = SendAsync(rate, seconds, offset);
    var perSecond = SampleMachineAsync(sending);
    // What a person sees mid-burst: the first timeline page and, when asked, a Changes page in the same browser.
    if (Environment.GetEnvironmentVariable("BENCH_SHOTS") == "1") await ShotsAsync(context, pages[0], seconds);
    var (sent, took) = await sending;
    var busyPerSecond = await perSecond;
    var processesSending = ProcessTicks();
    var gc1 = await GcMetricsAsync();
    await Task.Delay(3000);
    var (server1, browser1, machine1) = (Proc(appPid), BrowserTree(), Machine());
    var all = new List<double>();
    var everyOnEvery = true;
    var seenCounts = new List<int>();
    var more = new List<string>();
    foreach (var page in pages)
    {
        var latencies = await LatenciesAsync(page, sent, offset);
        seenCounts.Add(latencies.Count);
        if (latencies.Count < sent.Length && Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1")
        {
            var seenKeys = (await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen")).Keys.Select(k => int.Parse(k, inv) - offset).ToHashSet();
            Console.WriteLine($"  page missing: {string.Join(",", Enumerable.Range(0, sent.Length).Where(n => !seenKeys.Contains(n)))}");
        }
        everyOnEvery &= latencies.Count == sent.Length;
        all.AddRange(latencies);
        more.Add(await page.EvaluateAsync<string>("() => document.querySelector('[data-testid=more-rows]')?.getAttribute('data-hidden') ?? '-'"));
    }
    all.Sort();
    var wall = took + 3;
    Console.WriteLine(string.Create(inv, $"timeline: N={count} R={rate}/s S={seconds}s: {sent.Length} events sent in {took:0.0} s"));
    Console.WriteLine(string.Create(inv, $"  event to screen over all pages: p50 {P(all, .5):0} ms, p90 {P(all, .9):0} ms, p99 {P(all, .99):0} ms, max {(all.Count > 0 ? all[^1] : double.NaN):0} ms"));
    Console.WriteLine(string.Create(inv, $"  seen: {all.Count} of {sent.Length * count} (per page min {seenCounts.Min()}, max {seenCounts.Max()}); every event on every page: {(everyOnEvery ? "yes" : "NO")}"));
    Console.WriteLine($"  'N more' per page after the run: {string.Join(" ", more.Distinct())}");
    var longTasks = 0.0; var longCount = 0;
    foreach (var page in pages)
    {
        var l = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__long");
        longCount += (int)l["count"]; longTasks += l["ms"];
    }
    Console.WriteLine(string.Create(inv, $"  server: CPU {(server1.CpuSeconds - server0.CpuSeconds) / wall:0.00} cores, RSS {server0.RssKiB / 1024} -> {server1.RssKiB / 1024} MiB"));
    Console.WriteLine(string.Create(inv, $"  browser: CPU {(browser1.CpuSeconds - browser0.CpuSeconds) / wall:0.00} cores, RSS {browser1.RssKiB / 1024} MiB; long tasks (>50 ms) {longCount} over all pages, {longTasks:0} ms"));
    var ticks = (double)(machine1.Busy + machine1.Idle + machine1.Steal - machine0.Busy - machine0.Idle - machine0.Steal);
    Console.WriteLine(string.Create(inv, $"  machine: busy {(machine1.Busy - machine0.Busy) / ticks:P0}, idle {(machine1.Idle - machine0.Idle) / ticks:P0}, steal {(machine1.Steal - machine0.Steal) / ticks:P1}; {Renderers()}"));
    Console.WriteLine($"  machine busy per second while sending: {string.Join(" ", busyPerSecond.Select(b => b.ToString("0", inv)))} %");
    Console.WriteLine($"  cores by process while sending: {TopProcesses(processes0, processesSending, took)}");
    Console.WriteLine($"  {await SplitAsync(pages, sent, offset)}");
    Console.WriteLine(string.Create(inv, $"  server GC while sending: paused {(gc1.PauseSeconds - gc0.PauseSeconds) * 1000:0} ms; collections {string.Join(", ", gc1.Collections.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value - gc0.Collections.GetValueOrDefault(kv.Key):0}"))}"));
    // Slow replies bunched in time are a stall of the whole server (a pause, a blocked pool, a slow fsync); spread out, they are queueing.
    var slow = Enumerable.Range(0, sent.Length).Where(i => committed[i] - sent[i] > 100).Select(i => (int)((sent[i] - sent[0]) / 250)).GroupBy(w => w).Select(g => $"{g.Key * 0.25:0.00}s:{g.Count()}").ToList();
    Console.WriteLine($"  replies over 100 ms by 250 ms window of sending: {(slow.Count == 0 ? "none" : string.Join(" ", slow))}");
    Console.WriteLine($"  browser, all pages: {await PerBatchAsync(perf)}");
    Console.WriteLine($"  machine load after: {Load()}");
}

async Task IdleAsync(int count, string path)
{
    var context = await SignedInContextAsync();
    // One page first, closed again: the first circuit pays for JIT and caches every later one shares.
    var warm = await OpenAsync(context, 1, path, "[data-theme-ready=true]", "[data-testid=entry-title]");
    await warm[0].CloseAsync();
    await Task.Delay(2000);
    // Collect (and trim) first, then read: both figures after the same clean-up.
    var heapBefore = await GcAsync();
    var before = Proc(appPid).RssKiB;
    var pages = await OpenAsync(context, count, path, "[data-theme-ready=true]", "[data-testid=entry-title]");
    var rows = await pages[0].Locator("[data-testid=timeline-entry]").CountAsync();
    await Task.Delay(5000);
    var heapAfter = await GcAsync();
    var after = Proc(appPid).RssKiB;
    Console.WriteLine($"idle: {count} pages of {path} open ({rows} timeline rows each), machine load {Load()}");
    Console.WriteLine(string.Create(inv, $"  server RSS after a full GC: warm, no page open {before / 1024.0:0.0} MiB; {count} pages open {after / 1024.0:0.0} MiB"));
    Console.WriteLine(string.Create(inv, $"  per open circuit: {(after - before) / (double)count:0} KiB RSS, of which managed heap {(heapAfter - heapBefore) / 1024.0 / count:0} KiB"));
    Console.WriteLine(string.Create(inv, $"  browser: RSS {BrowserTree().RssKiB / 1024} MiB"));
}

async Task KioskAsync(int width, int height, int rate, int seconds)
{
    var context = await SignedInContextAsync(width, height);
    var page = (await OpenAsync(context, 1, "/kiosk", "[data-testid=kiosk-state][data-state=live]", "[data-testid=kiosk-entry] .title"))[0];
    var cdp = await context.NewCDPSessionAsync(page);
    await cdp.SendAsync("Emulation.setCPUThrottlingRate", new Dictionary<string, object> { ["rate"] = 4 });
    await page.EvaluateAsync("""
        () => { window.__catching = 0; setInterval(() => { if (document.querySelector('[data-testid=kiosk-state][data-state=catching-up]')) window.__catching++; }, 100); }
        """);
    await page.EvaluateAsync("() => window.__batches = 0");
    var perfCdp = await PerfAsync(page);
    var before = await MetricsAsync(perfCdp);
    var (server0, browser0) = (Proc(appPid), BrowserTree());
    var offset = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000) * 10_000;
    var (sent, took) = await SendAsync(rate, seconds, offset);
    await Task.Delay(3000);
    var (server1, browser1) = (Proc(appPid), BrowserTree());
    Console.WriteLine($"  browser (throttled 4x): {await PerBatchAsync([(page, perfCdp, before)])}");
    var points = new List<(double Sent, double Latency)>();
    var all = await LatenciesAsync(page, sent, offset, points);
    all.Sort();
    var wall = took + 3;
    Console.WriteLine(string.Create(inv, $"kiosk {width}x{height}, CPU throttled 4x: R={rate}/s S={seconds}s, {sent.Length} events sent in {took:0.0} s"));
    Console.WriteLine(string.Create(inv, $"  event to screen (entries that were drawn): p50 {P(all, .5):0} ms, p99 {P(all, .99):0} ms, max {(all.Count > 0 ? all[^1] : double.NaN):0} ms; {all.Count} drawn (the kiosk shows the newest {12}, the rest are folded)"));
    // A growing backlog shows as latency that rises from the start of the run to its end.
    var start = sent[0];
    var slices = points.GroupBy(p => (int)((p.Sent - start) / 10_000)).OrderBy(g => g.Key)
        .Select(g => { var l = g.Select(p => p.Latency).Order().ToList(); return string.Create(inv, $"{g.Key * 10}-{g.Key * 10 + 10}s p50 {P(l, .5):0}/p99 {P(l, .99):0}"); });
    Console.WriteLine($"  by 10 s of the run: {string.Join("; ", slices)}");
    Console.WriteLine($"  {await SplitAsync([page], sent, offset)}");
    var catching = await page.EvaluateAsync<int>("() => window.__catching");
    var l2 = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__long");
    Console.WriteLine(string.Create(inv, $"  'catching up' shown {catching / 10.0:0.0} s of {wall:0} s; long tasks {l2["count"]:0}, {l2["ms"]:0} ms"));
    Console.WriteLine(string.Create(inv, $"  server: CPU {(server1.CpuSeconds - server0.CpuSeconds) / wall:0.00} cores, RSS {server1.RssKiB / 1024} MiB; browser: CPU {(browser1.CpuSeconds - browser0.CpuSeconds) / wall:0.00} cores; machine load {Load()}"));
    await page.ScreenshotAsync(new() { Path = $"bin/kiosk-under-load-{width}x{height}.png" });
}

// Where one timeline page spends its main thread under load: a CPU profile over the run, by function (self time).
async Task ProfileAsync(int rate, int seconds, int count)
{
    var context = await SignedInContextAsync();
    var page = (await OpenAsync(context, count, "/", "[data-testid=live-indicator][data-state=live]", "[data-testid=entry-title]"))[0];
    var cdp = await context.NewCDPSessionAsync(page);
    await cdp.SendAsync("Profiler.enable");
    await cdp.SendAsync("Profiler.start");
    var offset = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000) * 10_000;
    var (sent, _) = await SendAsync(rate, seconds, offset);
    await Task.Delay(1000);
    var result = await cdp.SendAsync("Profiler.stop");
    var profile = result!.Value.GetProperty("profile");
    var nodes = profile.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetInt32());
    var samples = profile.GetProperty("samples").EnumerateArray().Select(x => x.GetInt32()).ToList();
    var deltas = profile.GetProperty("timeDeltas").EnumerateArray().Select(x => x.GetInt64()).ToList();
    var self = new Dictionary<string, double>();
    for (var i = 0; i < samples.Count; i++)
    {
        var frame = nodes[samples[i]].GetProperty("callFrame");
        var url = frame.GetProperty("url").GetString() ?? "";
        var key = $"{frame.GetProperty("functionName").GetString()} {Path.GetFileName(url)}:{frame.GetProperty("lineNumber").GetInt32()}";
        self[key] = self.GetValueOrDefault(key) + (i + 1 < deltas.Count ? deltas[i + 1] : 0) / 1000.0;
    }
    var lat = (await LatenciesAsync(page, sent, offset)).Order().ToList();
    Console.WriteLine(string.Create(inv, $"profile: page 1 of {count}, {rate}/s for {seconds}s: p50 {P(lat, .5):0} ms, p99 {P(lat, .99):0} ms, seen {lat.Count}/{sent.Length}"));
    foreach (var (name, ms) in self.OrderByDescending(kv => kv.Value).Take(25)) Console.WriteLine(string.Create(inv, $"  {ms,8:0} ms  {name}"));
}

// Where the browser's CPU goes with N timeline pages: a Chromium trace of the whole browser over the
// run, summed by thread (renderer main, compositor, raster, display compositor, browser) and, on the
// renderer main threads, by top-level task kind. Thread time (tdur), not wall time: on 2 shared cores
// wall time mostly measures waiting for a core.
async Task TraceAsync(int count, int rate, int seconds)
{
    var context = await SignedInContextAsync();
    var pages = await OpenAsync(context, count, "/", "[data-testid=live-indicator][data-state=live]", "[data-testid=entry-title]");
    await Task.Delay(2000);
    var path = Path.GetFullPath("bin/trace.json");
    var offset = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000) * 10_000;
    var (sent, took) = await TracedAsync(path, () => SendAsync(rate, seconds, offset));
    var all = new List<double>();
    foreach (var page in pages) all.AddRange(await LatenciesAsync(page, sent, offset));
    all.Sort();
    // Drawn rows, to read the trace's totals per row drawn: a page that folds more rows does less work.
    Console.WriteLine(string.Create(inv, $"trace: N={count} R={rate}/s S={seconds}s: p50 {P(all, .5):0} ms, p99 {P(all, .99):0} ms, drawn {all.Count} of {sent.Length * count}; trace in {path}"));
    SummarizeTrace(path);
}

void SummarizeTrace(string path)
{
    using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
    var events = doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("traceEvents");
    var threadNames = new Dictionary<(int, int), string>();
    foreach (var e in events.EnumerateArray())
        if (e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            threadNames[(e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32())] = e.GetProperty("args").GetProperty("name").GetString() ?? "?";
    // Complete events ("X") nest; count a thread's time once, at its outermost events, and name the
    // main thread's time after the first interesting child of each task.
    var byThread = new Dictionary<string, double>();
    var byKind = new Dictionary<string, double>();
    var counts = new Dictionary<string, int>();
    long dirtyObjects = 0;
    var open = new Dictionary<(int, int), double>(); // end time of the current outermost event per thread
    foreach (var e in events.EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X" && e.TryGetProperty("tdur", out _))
                 .OrderBy(e => e.GetProperty("ts").GetDouble()))
    {
        var key = (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32());
        var thread = threadNames.GetValueOrDefault(key, "?");
        var ts = e.GetProperty("ts").GetDouble();
        var end = ts + e.GetProperty("dur").GetDouble();
        var tdur = e.GetProperty("tdur").GetDouble() / 1000.0;
        var name = e.GetProperty("name").GetString() ?? "?";
        if (thread == "CrRendererMain")
        {
            counts[name] = counts.GetValueOrDefault(name) + 1;
            if (name == "Layout" && e.TryGetProperty("args", out var layoutArgs) && layoutArgs.TryGetProperty("beginData", out var begin)
                && begin.TryGetProperty("dirtyObjects", out var dirty)) dirtyObjects += dirty.GetInt64();
        }
        if (!open.TryGetValue(key, out var until) || ts >= until)
        {
            open[key] = end;
            byThread[thread] = byThread.GetValueOrDefault(thread) + tdur;
        }
        else if (thread == "CrRendererMain" && name is not ("ThreadControllerImpl::RunTask" or "RunTask"))
        {
            byKind[name] = byKind.GetValueOrDefault(name) + tdur;
        }
    }
    Console.WriteLine("  CPU by thread (ms, all processes):");
    foreach (var (name, ms) in byThread.OrderByDescending(kv => kv.Value).Take(12)) Console.WriteLine(string.Create(inv, $"    {ms,9:0}  {name}"));
    Console.WriteLine("  renderer main threads, by event inside tasks (ms, nested events counted in each; compare, do not add):");
    foreach (var (name, ms) in byKind.OrderByDescending(kv => kv.Value).Take(25)) Console.WriteLine(string.Create(inv, $"    {ms,9:0}  {name}"));
    // Frames and layouts, and how much each layout had to redo: a page whose frames carry more rows, or whose
    // changes dirty more of the page, shows it here.
    int Count(string name) => counts.GetValueOrDefault(name);
    Console.WriteLine(string.Create(inv, $"  renderer main threads: {Count("ProxyMain::BeginMainFrame")} frames, {Count("Layout")} layouts ({dirtyObjects} layout objects dirty in all, {dirtyObjects / Math.Max(1.0, Count("Layout")):0} per layout), {Count("ParseHTML")} HTML parses, {Count("v8.callFunction")} script calls, {Count("Receive mojo message")} IPC messages"));
}

async Task ShotsAsync(IBrowserContext context, IPage timeline, int seconds)
{
    var changes = await context.NewPageAsync();
    await changes.GotoAsync("/changes");
    await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
    foreach (var theme in new[] { "light", "dark" })
    {
        foreach (var (page, name) in new[] { (timeline, "timeline"), (changes, "changes") })
        {
            await page.EvaluateAsync("t => document.documentElement.dataset.theme = t", theme);
            await page.ScreenshotAsync(new() { Path = $"bin/{name}-under-load-{theme}.png" });
        }
    }
    await timeline.EvaluateAsync("() => document.documentElement.dataset.theme = 'light'");
    await changes.CloseAsync();
}

// Chromium's own cost of a live list on this machine, without the app: N plain pages (no framework,
// one small stylesheet), each inserting a ten-element row at the top of a 50-row list FPS times a
// second. What this costs is a floor under any page that shows a change FPS times a second.
async Task FloorAsync(int count, int fps, int seconds)
{
    const string Html = """
        <!doctype html><style>body{font:14px system-ui;margin:0}.r{display:grid;grid-template-columns:6rem 1fr;padding:6px 12px;border-top:1px solid #ddd}.c{background:#1976d2;color:#fff;border-radius:8px;padding:0 6px;margin-right:6px}.m{color:#666;font-size:12px}</style>
        <header style="height:300px;background:#eee">header</header><div id=l></div>
        <script>
        let n = 0; const l = document.getElementById('l');
        window.__frames = 0;
        function row() { const d = document.createElement('div'); d.className = 'r';
          d.innerHTML = `<span>12:00:${n % 60}<br><span class=m>Nov 24</span></span><div><span class=c>in progress</span><span>changes</span> <span>lb ${n} started</span><div class=m><b>lb</b> ${n} <span>prod-api-${n % 7}</span> <span>by bench</span></div></div>`;
          n++; return d; }
        for (let i = 0; i < 50; i++) l.prepend(row());
        window.__start = (fps, rows) => setInterval(() => { for (let i = 0; i < rows; i++) { l.prepend(row()); l.lastElementChild.remove(); } window.__frames++; }, 1000 / fps);
        </script>
        """;
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } });
    var pages = new List<IPage>();
    var extra = Environment.GetEnvironmentVariable("FLOOR_HEAD") ?? "";
    for (var i = 0; i < count; i++)
    {
        var p = await context.NewPageAsync();
        await p.SetContentAsync(Html.Replace("<!doctype html>", "<!doctype html>" + extra, StringComparison.Ordinal));
        if (Environment.GetEnvironmentVariable("FLOOR_OBSERVER") == "1") await p.EvaluateAsync(Observer, "span");
        pages.Add(p);
    }
    await Task.Delay(2000);
    var before = BrowserTree();
    var clock = Stopwatch.StartNew();
    var rows = int.Parse(Environment.GetEnvironmentVariable("FLOOR_ROWS") ?? "1", inv);
    foreach (var p in pages) await p.EvaluateAsync("([f, r]) => window.__start(f, r)", new[] { fps, rows });
    if (Environment.GetEnvironmentVariable("FLOOR_TRACE") == "1") await TracedAsync(Path.GetFullPath("bin/trace.json"), async () => { await Task.Delay(TimeSpan.FromSeconds(seconds)); return 0; });
    else await Task.Delay(TimeSpan.FromSeconds(seconds));
    var after = BrowserTree();
    var frames = 0;
    foreach (var p in pages) frames += await p.EvaluateAsync<int>("() => window.__frames");
    var cores = (after.CpuSeconds - before.CpuSeconds) / clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(inv, $"floor: {count} plain pages, {rows} row(s) inserted {fps} times a second each, {seconds} s: {frames} inserts done of {count * fps * seconds}; browser CPU {cores:0.00} cores, {(after.CpuSeconds - before.CpuSeconds) * 1000 / Math.Max(1, frames):0.0} ms per insert; load {Load()}"));
}

// Runs `work` under a Chromium trace of the whole browser (CDP Tracing), written to `path`.
async Task<T> TracedAsync<T>(string path, Func<Task<T>> work)
{
    var cdp = await browser.NewBrowserCDPSessionAsync();
    var complete = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
    cdp.Event("Tracing.tracingComplete").OnEvent += (_, e) => complete.TrySetResult(e!.Value.GetProperty("stream").GetString()!);
    await cdp.SendAsync("Tracing.start", new Dictionary<string, object>
    {
        ["transferMode"] = "ReturnAsStream",
        ["traceConfig"] = new Dictionary<string, object> { ["includedCategories"] = new[] { "devtools.timeline", "blink", "cc", "viz", "toplevel", "v8", "disabled-by-default-devtools.timeline" } },
    });
    var result = await work();
    await Task.Delay(1000);
    await cdp.SendAsync("Tracing.end");
    var stream = await complete.Task;
    await using (var file = File.Create(path))
    {
        while (true)
        {
            var chunk = (await cdp.SendAsync("IO.read", new Dictionary<string, object> { ["handle"] = stream, ["size"] = 1 << 20 }))!.Value;
            var data = chunk.GetProperty("data").GetString() ?? "";
            var bytes = chunk.TryGetProperty("base64Encoded", out var b64) && b64.GetBoolean() ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(data);
            await file.WriteAsync(bytes);
            if (chunk.GetProperty("eof").GetBoolean()) break;
        }
    }
    await cdp.SendAsync("IO.close", new Dictionary<string, object> { ["handle"] = stream });
    await cdp.DetachAsync();
    return result;
}
