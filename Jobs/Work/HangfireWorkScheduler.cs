using Dashboard.Data;
using Dashboard.Data.Work;
using Hangfire;
using Hangfire.States;

namespace Dashboard.Jobs.Work;

/// <summary>
/// <see cref="IWorkScheduler"/> on Hangfire. A scheduled item becomes a Hangfire scheduled job (so
/// operators see it on the dashboard) with the delay read from the app's <see cref="TimeProvider"/>,
/// and a timer on that same clock moves the job to the queue when it is due. Under the real clock
/// whichever fires first wins (the other finds the job no longer scheduled); under a fake clock the
/// timer fires when a test advances the clock. See docs/decisions/0005-work-scheduler.md.
/// </summary>
public sealed class HangfireWorkScheduler(IBackgroundJobClient jobs, TimeProvider clock, ReconcileFilter? reconcile = null) : IWorkScheduler, IDisposable
{
    // Timers cannot wait longer than this; a longer wait re-arms when it fires.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Kind, string SubjectId), Pending> _pending = [];
    private bool _disposed;

    public void Enqueue(WorkItem item)
    {
        if (reconcile?.InHand(item, whenQueued: true) == true) return;
        jobs.Create(Job(item), new EnqueuedState());
    }

    public void Schedule(WorkItem item, DateTime runAtUtc)
    {
        if (reconcile?.InHand(item, whenQueued: false) == true) return;
        var delay = runAtUtc - clock.GetUtcNow().UtcDateTime;
        var key = (item.Kind, item.SubjectId);
        lock (_gate)
        {
            if (_disposed) return;
            if (_pending.Remove(key, out var earlier)) earlier.Cancel(jobs);
            if (delay <= TimeSpan.Zero)
            {
                jobs.Create(Job(item), new EnqueuedState());
                return;
            }
            var jobId = jobs.Create(Job(item), new ScheduledState(delay));
            var pending = new Pending(jobId, runAtUtc);
            _pending[key] = pending;
            // The caller is usually a request that ends long before the timer fires (hours, for a later
            // phase): the timer must neither keep its context alive nor move the job as that request.
            pending.Timer = Detached.Create(() => clock.CreateTimer(_ => Due(key, pending), null, Min(delay, LongestTimer), Timeout.InfiniteTimeSpan));
        }
    }

    private void Due((string Kind, string SubjectId) key, Pending pending)
    {
        lock (_gate)
        {
            if (_disposed || !_pending.TryGetValue(key, out var current) || current != pending) return;
            var left = pending.RunAtUtc - clock.GetUtcNow().UtcDateTime;
            if (left > TimeSpan.Zero)
            {
                pending.Timer?.Change(Min(left, LongestTimer), Timeout.InfiniteTimeSpan);
                return;
            }
            _pending.Remove(key);
            pending.Timer?.Dispose();
        }
        try
        {
            // Only a job Hangfire has not already started on its own clock is moved.
            jobs.ChangeState(pending.JobId, new EnqueuedState(), ScheduledState.StateName);
        }
        catch (BackgroundJobClientException ex)
        {
            // On a timer thread an exception would end the process. The job is still scheduled in
            // the storage, so Hangfire's own scheduler enqueues it on the real clock.
            System.Diagnostics.Trace.TraceWarning($"Moving due job {pending.JobId} to the queue failed: {ex.Message}");
        }
    }

    private static Hangfire.Common.Job Job(WorkItem item) =>
        Hangfire.Common.Job.FromExpression<WorkJob>(job => job.RunAsync(item.Kind, item.SubjectId, item.Description, CancellationToken.None));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var pending in _pending.Values) pending.Timer?.Dispose();
            _pending.Clear();
        }
    }

    private sealed class Pending(string jobId, DateTime runAtUtc)
    {
        public string JobId { get; } = jobId;
        public DateTime RunAtUtc { get; } = runAtUtc;
        public ITimer? Timer { get; set; }

        /// <summary>A newer schedule replaces this one: its job is deleted unless it already left the schedule.</summary>
        public void Cancel(IBackgroundJobClient jobs)
        {
            Timer?.Dispose();
            jobs.ChangeState(JobId, new DeletedState(), ScheduledState.StateName);
        }
    }
}
