using System.Diagnostics;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// The built app as a separate process (<c>dotnet Dashboard.App.dll</c>) on a free loopback port,
/// for what an in-process host cannot show honestly: being killed with SIGKILL mid-work.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private bool _disposed;

    private AppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The app's process id, e.g. to read what it has mapped from <c>/proc</c>.</summary>
    public int ProcessId => _process.Id;

    /// <summary>When the process was started (UTC), the origin for "how long until it works again".</summary>
    public DateTime StartedAt { get; private init; }

    /// <summary>When it logged that it listens (UTC).</summary>
    public DateTime ListeningAt { get; private set; }

    /// <summary>Starts the app with these settings (<c>Dashboard:X</c> keys) and returns once it listens.</summary>
    /// <param name="port">The loopback port, for a restart that clients should find where they left it; a free one when null.</param>
    public static async Task<AppProcess> StartAsync(IDictionary<string, string?> settings, int? port = null)
    {
        port ??= DashboardApp.FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dashboard.App.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Dashboard__AdminPassword"] = DashboardApp.AdminPassword;
        start.Environment["Dashboard__BootstrapToken"] = DashboardApp.BootstrapToken;
        start.Environment["Dashboard__Demo__Activity"] = "false";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        var started = DateTime.UtcNow;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}")) { StartedAt = started };
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (app._output) app._output.Add(line);
            if (line.Contains("Now listening on", StringComparison.Ordinal))
            {
                app.ListeningAt = DateTime.UtcNow;
                listening.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The app exited with {process.ExitCode}:\n{app.Output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            await app.DisposeAsync();
            throw new TimeoutException($"The app did not start listening:\n{app.Output}");
        }
        return app;
    }

    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public HttpClient ApiClient(string header = "X-Auth-Token")
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (header == "Authorization") client.DefaultRequestHeaders.Authorization = new("Bearer", DashboardApp.BootstrapToken);
        else client.DefaultRequestHeaders.Add(header, DashboardApp.BootstrapToken);
        return client;
    }

    /// <summary>SIGKILL: no shutdown, no flushing, no cancellation reaches the app.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }
}
