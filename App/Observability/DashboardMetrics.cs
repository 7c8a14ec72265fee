using System.Diagnostics.Metrics;

namespace Dashboard.App.Observability;

/// <summary>
/// The dashboard's own instruments, all on the meter <c>Dashboard</c>: one place to look for what
/// the app counts. Work that happens elsewhere reports here with a one-line call; the current
/// values the System page shows (open circuits, open blocking queries) are kept here as well, so
/// the page and <c>/metrics</c> never disagree.
/// </summary>
public sealed class DashboardMetrics
{
    public const string MeterName = "Dashboard";

    private readonly Counter<long> _changeEvents;
    private readonly Counter<long> _deviceStatusReports;
    private readonly Histogram<double> _jobDuration;
    private long _openCircuits;
    private long _openBlockingQueries;

    public DashboardMetrics(IMeterFactory meters, StateCounts states)
    {
        // A meter from the host's factory, not a static one: several hosts in one process (the
        // tests) each count their own work.
        var meter = meters.Create(MeterName);
        _changeEvents = meter.CreateCounter<long>("dashboard.change_events.ingested", "{event}",
            "Change events accepted (BigPanda start/end events and the Changes API).");
        _deviceStatusReports = meter.CreateCounter<long>("dashboard.device_status_reports", "{report}",
            "Device deployment status reports accepted from Mender clients.");
        _jobDuration = meter.CreateHistogram<double>("dashboard.job.duration", "s",
            "How long background jobs ran, by job and outcome.");
        meter.CreateObservableUpDownCounter("dashboard.circuits.open", () => Interlocked.Read(ref _openCircuits), "{circuit}",
            "Blazor circuits (live pages) open on this node.");
        meter.CreateObservableUpDownCounter("dashboard.nomad.blocking_queries.open", () => Interlocked.Read(ref _openBlockingQueries), "{query}",
            "Nomad blocking queries waiting on this node.");
        meter.CreateObservableGauge("dashboard.batches", () => states.Measure(s => s.Batches, Data.Batches.BatchStateMachine.Machine), "{batch}", "Batches by state.");
        meter.CreateObservableGauge("dashboard.rollouts", () => states.Measure(s => s.Rollouts, Data.Rollouts.RolloutStateMachine.Machine), "{rollout}", "Mender-style rollouts by state.");
        meter.CreateObservableGauge("dashboard.deployments", () => states.Measure(s => s.Deployments, Data.Canaries.DeploymentStateMachine.Machine), "{deployment}", "Nomad-style canary deployments by status.");
    }

    public long OpenCircuits => Interlocked.Read(ref _openCircuits);

    public long OpenBlockingQueries => Interlocked.Read(ref _openBlockingQueries);

    public void ChangeEventIngested(string source) => _changeEvents.Add(1, new KeyValuePair<string, object?>("source", source));

    public void DeviceStatusReported() => _deviceStatusReports.Add(1);

    public void JobFinished(string job, bool succeeded, TimeSpan duration) => _jobDuration.Record(duration.TotalSeconds,
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
