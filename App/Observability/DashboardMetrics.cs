using System.Diagnostics.Metrics;

namespace Dashboard.App.Observability;

/// <summary>
/// The dashboard's own instruments, all on the meter <c>Dashboard</c>: one place to look for what
/// the app counts. Work that happens elsewhere reports here with a one-line call; the current
/// values the System page shows (open circuits, open blocking queries) are kept here as well, so
/// the page and <c>/metrics</c> never disagree.
/// </summary>
public sealed class DashboardMetrics : IDisposable
{
    public const string MeterName = "Dashboard";

    // One meter for the process, never disposed. OpenTelemetry subscribes to meters by name across
    // the whole process: with one meter per host (IMeterFactory), disposing one host (several run
    // in the test process) ends the other hosts' streams of the same instruments. The observable
    // instruments read the live hosts registered below.
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> ChangeEvents = Meter.CreateCounter<long>("dashboard.change_events.ingested", "{event}",
        "Change events accepted (BigPanda start/end events and the Changes API).");
    private static readonly Counter<long> DeviceStatusReports = Meter.CreateCounter<long>("dashboard.device_status_reports", "{report}",
        "Device deployment status reports accepted from Mender clients.");
    private static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("dashboard.job.duration", "s",
        "How long background jobs ran, by job and outcome.");
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<DashboardMetrics, byte> Live = new();

    static DashboardMetrics()
    {
        Meter.CreateObservableUpDownCounter("dashboard.circuits.open", () => Live.Keys.Sum(m => m.OpenCircuits), "{circuit}",
            "Blazor circuits (live pages) open on this node.");
        Meter.CreateObservableUpDownCounter("dashboard.nomad.blocking_queries.open", () => Live.Keys.Sum(m => m.OpenBlockingQueries), "{query}",
            "Nomad blocking queries waiting on this node.");
        Meter.CreateObservableGauge("dashboard.batches", () => Newest()?.Measure(s => s.Batches, Data.Batches.BatchStateMachine.Machine) ?? [], "{batch}", "Batches by state.");
        Meter.CreateObservableGauge("dashboard.rollouts", () => Newest()?.Measure(s => s.Rollouts, Data.Rollouts.RolloutStateMachine.Machine) ?? [], "{rollout}", "Mender-style rollouts by state.");
        Meter.CreateObservableGauge("dashboard.deployments", () => Newest()?.Measure(s => s.Deployments, Data.Canaries.DeploymentStateMachine.Machine) ?? [], "{deployment}", "Nomad-style canary deployments by status.");
    }

    // A production process has one host; in tests the newest host's database answers the state gauges.
    private static StateCounts? Newest() => Live.Keys.OrderByDescending(m => m._created).FirstOrDefault()?._states;

    private readonly StateCounts _states;
    private readonly long _created = System.Diagnostics.Stopwatch.GetTimestamp();
    private long _openCircuits;
    private long _openBlockingQueries;

    public DashboardMetrics(StateCounts states)
    {
        _states = states;
        Live[this] = 0;
    }

    /// <summary>The host's container disposes it when the host stops: its counts leave the observable instruments.</summary>
    public void Dispose() => Live.TryRemove(this, out _);

    public long OpenCircuits => Interlocked.Read(ref _openCircuits);

    public long OpenBlockingQueries => Interlocked.Read(ref _openBlockingQueries);

    public void ChangeEventIngested(string source) => ChangeEvents.Add(1, new KeyValuePair<string, object?>("source", source));

    public void DeviceStatusReported() => DeviceStatusReports.Add(1);

    public void JobFinished(string job, bool succeeded, TimeSpan duration) => JobDuration.Record(duration.TotalSeconds,
        new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));

    public void CircuitOpened() => Interlocked.Increment(ref _openCircuits);

    public void CircuitClosed() => Interlocked.Decrement(ref _openCircuits);

    /// <summary>Counts a blocking query as open until the returned handle is disposed.</summary>
    public IDisposable BlockingQueryOpened()
    {
        Interlocked.Increment(ref _openBlockingQueries);
        return new Release(this);
    }

    private sealed class Release(DashboardMetrics metrics) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref metrics._openBlockingQueries);
        }
    }
}
