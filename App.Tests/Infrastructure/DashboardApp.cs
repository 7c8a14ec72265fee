using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// The real app on real Kestrel, on a free loopback port, with its own data directory.
/// Several can run one after another on the same directory (restart tests).
/// </summary>
public sealed class DashboardApp : WebApplicationFactory<Program>
{
    public const string AdminPassword = "correct horse battery staple";
    public const string BootstrapToken = "test-bootstrap-token-0123456789";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="port">0 for any free port; a fixed port lets a restarted app be found again by an open page.</param>
    /// <param name="clock">The app's clock: a <c>FakeTimeProvider</c> for time-based work; the system clock when null.</param>
    /// <param name="services">Extra registrations, applied after the app's own (fakes at boundaries, test runners).</param>
    public DashboardApp(string dataDirectory, IDictionary<string, string?>? settings = null, int port = 0,
        TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        DataDirectory = dataDirectory;
        Clock = clock ?? TimeProvider.System;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Dashboard:DataDirectory"] = dataDirectory,
            ["Dashboard:AdminPassword"] = AdminPassword,
            ["Dashboard:BootstrapToken"] = BootstrapToken,
            ["Dashboard:Demo"] = "true",
            // Tests watch their own work; the demo activity generator is tested on its own (DemoActivityTests).
            ["Dashboard:Demo:Activity"] = "false",
            ["Dashboard:Provisioner:DelayMs"] = "150",
            // Test receivers listen on loopback; the guard against private addresses is tested on its own (WebhookAddressTests).
            ["Dashboard:Webhooks:AllowPrivateAddresses"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
        UseKestrel(port);
    }

    /// <summary>A loopback port that is free now, for apps that must come back on the same address.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public string DataDirectory { get; }

    /// <summary>The clock the app reads (deadlines, schedules, provisioning delays).</summary>
    public TimeProvider Clock { get; }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>What this app logged at error level.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>The app's last seconds of browser traffic, for a browser test's failure message.</summary>
    public ServerTrace Trace { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(Clock);
            _services?.Invoke(services);
            services.AddSingleton<IStartupFilter, FaultEndpoints>();
            services.AddSingleton<ILoggerProvider>(Logs);
            services.AddSingleton<ILoggerProvider>(Trace);
            services.Configure<LoggerFilterOptions>(options =>
            {
                foreach (var rule in ServerTrace.Rules) options.Rules.Add(rule);
            });
        });
    }

    /// <summary>Starts Kestrel and returns the app, ready for HTTP and browser traffic.</summary>
    public DashboardApp Start()
    {
        StartServer();
        Serving[BaseAddress.GetLeftPart(UriPartial.Authority)] = new WeakReference<DashboardApp>(this);
        return this;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, WeakReference<DashboardApp>> Serving = new();

    /// <summary>The started app that serves <paramref name="url"/> (by scheme, host and port), for a browser test's failure report.</summary>
    public static DashboardApp? ServingAt(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && Serving.TryGetValue(uri.GetLeftPart(UriPartial.Authority), out var app) && app.TryGetTarget(out var found)
            ? found
            : null;

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>An HTTP client for the real socket, with the bootstrap token in the given header.</summary>
    public HttpClient ApiClient(string header = "Authorization", string? token = BootstrapToken)
    {
        var client = CreateDefaultClient();
        if (token is null) return client;
        if (header == "Authorization") client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        else client.DefaultRequestHeaders.Add(header, token);
        return client;
    }

    /// <summary>POSTs JSON with the bootstrap token (a BigPanda event, say) and checks that it was stored (201).</summary>
    public async Task PostCreatedAsync(string path, string json, CancellationToken ct)
    {
        using var client = ApiClient();
        using var response = await client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), ct);
        Xunit.Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }
}
