using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright; launched once per test collection.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Browser tests need Debian's Chromium at {ChromiumPath}: apt-get install -y chromium");
        ThreadPoolWatch.Start();
        // Web-first assertions wait 5 s by default, actions 30 s (below): a render that lands after a query on a
        // loaded 2-core machine is no less right for taking longer. A passing assertion returns when it holds.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        });
    }

    /// <summary>A fresh, isolated browser context (its own cookies), pointed at <paramref name="baseUrl"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseUrl, ColorScheme colorScheme = ColorScheme.Light, int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(),
            ColorScheme = colorScheme,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        // Actions and navigations (a sign-in hashes its password, a page load fetches every script) can take
        // well over 15 s when a 2-core machine runs the suite beside other work; what a test asserts does not change.
        context.SetDefaultTimeout(30_000);
        if (TestContext.Current.Test is { } test)
        {
            LeftOpen[context] = test.UniqueID;
            context.Close += (_, _) => LeftOpen.TryRemove(context, out _);
        }
        var page = await context.NewPageAsync();
        BrowserLog.Attach(page);
        return page;
    }

    /// <summary>Contexts not closed yet, by the test that opened them.</summary>
    private static readonly ConcurrentDictionary<IBrowserContext, string> LeftOpen = new();

    /// <summary>
    /// Closes the contexts <paramref name="testId"/> left open: a test that fails before its own <c>CloseAsync</c>
    /// would otherwise keep its page live (a circuit, its WebSocket) for the rest of the run. The app's host then
    /// waits its whole shutdown timeout for that socket at the collection's end, and Hangfire's stop, handed the
    /// expired token, throws: a second failure, "[Test Collection Cleanup Failure (app)]", 30 s after the real one.
    /// </summary>
    public static async Task CloseLeftOpenAsync(string testId)
    {
        foreach (var (context, _) in LeftOpen.Where(c => c.Value == testId).ToList())
        {
            try { await context.CloseAsync(); }
            catch (PlaywrightException) { /* the browser is gone already */ }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>
/// What each page wrote to its console and what threw in it (Blazor reports a broken circuit or a
/// failed reconnect only there), so a failing browser test can say what the page went through.
/// </summary>
public static class BrowserLog
{
    private const int Kept = 50;
    private static readonly ConditionalWeakTable<IPage, ConcurrentQueue<string>> Logs = [];

    public static void Attach(IPage page)
    {
        var log = Logs.GetOrCreateValue(page);
        var started = DateTime.UtcNow;
        void Add(string line)
        {
            log.Enqueue($"+{(DateTime.UtcNow - started).TotalSeconds:0.0}s {line}");
            while (log.Count > Kept) log.TryDequeue(out _);
        }
        page.Console += (_, message) => Add($"console.{message.Type}: {message.Text}");
        page.PageError += (_, error) => Add($"page error: {error}");
        page.FrameNavigated += (_, frame) => { if (frame.ParentFrame is null) Add($"navigated: {frame.Url}"); };
        page.Load += (_, _) => Add("load event");
        page.Close += (_, _) => Add("page closed");
        page.Crash += (_, _) => Add("page crashed");
        page.Context.Close += (_, _) => Add("context closed");
        PageActivity.Attach(page);
    }

    /// <summary>The last lines logged for <paramref name="page"/>, oldest first.</summary>
    public static IReadOnlyList<string> For(IPage page) => Logs.TryGetValue(page, out var log) ? [.. log] : [];
}

/// <summary>
/// The requests and WebSockets each page started, kept from its first request, so a wait that times out can
/// say what was still in flight (a document or sub-resource that never finished holds back the load event; a
/// circuit's socket that closed or went quiet loses clicks and navigations) instead of only that it timed out.
/// </summary>
public sealed class PageActivity
{
    private const int KeptDone = 40;
    private static readonly ConditionalWeakTable<IPage, PageActivity> Activities = [];

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly ConcurrentDictionary<IRequest, double> _inFlight = new();
    private readonly ConcurrentQueue<string> _done = new();
    private readonly ConcurrentDictionary<IWebSocket, Socket> _sockets = new();

    private sealed class Socket(double opened)
    {
        public double Opened { get; } = opened;
        public int Sent;
        public int Received;
        public double LastSent = double.NaN;
        public double LastReceived = double.NaN;
        public double Closed = double.NaN;
        public string? Error;
    }

    public static void Attach(IPage page)
    {
        var activity = Activities.GetValue(page, _ => new PageActivity());
        page.Request += (_, request) => activity._inFlight[request] = activity.Now;
        page.RequestFinished += (_, request) => activity.Done(request, request.Failure is null ? "finished" : $"failed ({request.Failure})");
        page.RequestFailed += (_, request) => activity.Done(request, $"failed ({request.Failure})");
        page.WebSocket += (_, socket) =>
        {
            var state = activity._sockets[socket] = new Socket(activity.Now);
            socket.FrameSent += (_, _) => { Interlocked.Increment(ref state.Sent); state.LastSent = activity.Now; };
            socket.FrameReceived += (_, _) => { Interlocked.Increment(ref state.Received); state.LastReceived = activity.Now; };
            socket.SocketError += (_, error) => state.Error = error;
            socket.Close += (_, _) => state.Closed = activity.Now;
        };
    }

    /// <summary>Seconds since the page was created.</summary>
    private double Now => _clock.Elapsed.TotalSeconds;

    private void Done(IRequest request, string outcome)
    {
        if (!_inFlight.TryRemove(request, out var started)) return;
        _done.Enqueue($"{request.Method} {request.Url} [{request.ResourceType}] +{started:0.00}s {outcome} after {Now - started:0.00}s");
        while (_done.Count > KeptDone) _done.TryDequeue(out _);
    }

    /// <summary>What the page's network was doing, as lines for a failure message (times are seconds since the page was created).</summary>
    public static IReadOnlyList<string> Describe(IPage page)
    {
        if (!Activities.TryGetValue(page, out var activity)) return ["(no activity recorded)"];
        var now = activity.Now;
        var lines = new List<string> { $"now: +{now:0.00}s" };
        var pending = activity._inFlight.OrderBy(p => p.Value).ToList();
        lines.Add(pending.Count == 0 ? "requests not finished: none" : "requests not finished:");
        lines.AddRange(pending.Select(p => $"  {p.Key.Method} {p.Key.Url} [{p.Key.ResourceType}] started +{p.Value:0.00}s, pending {now - p.Value:0.00}s"));
        lines.Add("last requests done:");
        lines.AddRange(activity._done.TakeLast(15).Select(d => "  " + d));
        lines.Add(activity._sockets.IsEmpty ? "WebSockets: none" : "WebSockets:");
        lines.AddRange(activity._sockets.Select(s =>
            $"  {s.Key.Url} opened +{s.Value.Opened:0.00}s, {(double.IsNaN(s.Value.Closed) ? "open" : $"closed +{s.Value.Closed:0.00}s")}" +
            $", frames sent {s.Value.Sent} (last +{s.Value.LastSent:0.00}s), received {s.Value.Received} (last +{s.Value.LastReceived:0.00}s)" +
            (s.Value.Error is null ? "" : $", error {s.Value.Error}")));
        return lines;
    }
}
/// <summary>After every test (passed or failed), the browser contexts it opened and left open are closed (see <see cref="BrowserFixture.CloseLeftOpenAsync"/>).</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ClosePagesLeftOpenAttribute : Xunit.v3.BeforeAfterTestAttribute
{
    // xunit's hook is synchronous; Playwright's calls do not need the caller's thread.
    public override void After(System.Reflection.MethodInfo methodUnderTest, Xunit.v3.IXunitTest test)
    {
        Task.Run(() => BrowserFixture.CloseLeftOpenAsync(test.UniqueID)).GetAwaiter().GetResult();
    }
}
