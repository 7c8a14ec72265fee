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
        var page = await context.NewPageAsync();
        BrowserLog.Attach(page);
        return page;
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
    }

    /// <summary>The last lines logged for <paramref name="page"/>, oldest first.</summary>
    public static IReadOnlyList<string> For(IPage page) => Logs.TryGetValue(page, out var log) ? [.. log] : [];
}
