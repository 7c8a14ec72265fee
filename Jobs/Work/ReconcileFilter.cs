using Dashboard.Data.Cluster;
using Dashboard.Data.Work;
using Hangfire;
using Microsoft.Extensions.Logging;

namespace Dashboard.Jobs.Work;

/// <summary>
/// Keeps a starting node's reconciler from duplicating work other nodes already have in hand, when
/// several nodes share Hangfire's PostgreSQL storage: while reconciling, an item whose job is still
/// waiting in the shared queue is not enqueued again, and an item another node is working on right
/// now (its <see cref="SubjectGate"/> lock is held) is left to that node. Nodes reconcile one at a
/// time, so two starting together see each other's enqueued jobs. Work whose node died is not
/// "in hand": PostgreSQL released that node's locks with its connection, so it is resumed at once.
/// On SQLite (one node, in-memory job storage) everything is enqueued, as before.
/// </summary>
public sealed class ReconcileFilter(ClusterDatabase cluster, SubjectGate gate, JobStorage storage, ILogger<ReconcileFilter> logger)
{
    private static readonly AsyncLocal<Pass?> s_pass = new();

    /// <summary>Runs <paramref name="reconcile"/> with enqueues filtered (PostgreSQL) or as it is (SQLite).</summary>
    public async Task RunAsync(Func<Task> reconcile, CancellationToken ct)
    {
        if (!cluster.Enabled)
        {
            await reconcile();
            return;
        }
        await using var turn = await cluster.LockAsync("reconcile", ct);
        var pass = new Pass(Queued());
        // Set here, in the method that awaits the body, so the value flows into every step's calls.
        s_pass.Value = pass;
        try
        {
            await reconcile();
        }
        finally
        {
            // Flows started inside (a background loop begun lazily) captured the value; this ends it for them too.
            pass.Active = false;
            s_pass.Value = null;
        }
        if (pass.Skipped > 0) logger.LogInformation("Reconcile left {Count} item(s) to the jobs already queued or running for them", pass.Skipped);
    }

    /// <summary>
    /// True when <paramref name="item"/> must not be handed to the job server again because it is in
    /// hand already. <paramref name="whenQueued"/>: a job waiting in the queue counts (enqueues), or
    /// only one running now does (schedules, whose time the reconciler derives afresh).
    /// </summary>
    public bool InHand(WorkItem item, bool whenQueued)
    {
        if (s_pass.Value is not { Active: true } pass) return false;
        var key = (item.Kind, item.SubjectId);
        lock (pass)
        {
            if (whenQueued && !pass.Queued.Add(key))
            {
                pass.Skipped++;
                return true;
            }
        }
        if (!gate.IsBusyElsewhere(SubjectGate.Key(item.Kind, item.SubjectId))) return false;
        lock (pass) pass.Skipped++;
        return true;
    }

    /// <summary>Work jobs waiting in any queue of the shared storage, by kind and subject.</summary>
    private HashSet<(string Kind, string SubjectId)> Queued()
    {
        const int Page = 1000;
        var queued = new HashSet<(string, string)>();
        var monitoring = storage.GetMonitoringApi();
        foreach (var queue in monitoring.Queues())
        {
            for (var from = 0; ; from += Page)
            {
                var jobs = monitoring.EnqueuedJobs(queue.Name, from, Page);
                foreach (var (_, job) in jobs)
                {
                    if (job?.Job is { } j && j.Type == typeof(WorkJob) && j.Args.Count >= 2 && j.Args[0] is string kind && j.Args[1] is string subject)
                        queued.Add((kind, subject));
                }
                if (jobs.Count < Page) break;
            }
        }
        return queued;
    }

    private sealed class Pass(HashSet<(string, string)> queued)
    {
        public HashSet<(string, string)> Queued { get; } = queued;
        public int Skipped { get; set; }
        public bool Active { get; set; } = true;
    }
}
