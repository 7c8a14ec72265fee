using System.Diagnostics;
using Hangfire.Common;
using Hangfire.Server;

namespace Dashboard.App.Observability;

/// <summary>
/// Times every background job this node runs. Given to the host's own server through its
/// <see cref="IJobFilterProvider"/>, not added to Hangfire's static global filters, which every
/// host in a test process would share.
/// </summary>
public sealed class JobDurationFilter(DashboardMetrics metrics) : IServerFilter
{
    private const string StartedKey = "dashboard.started";

    public void OnPerforming(PerformingContext context) => context.Items[StartedKey] = Stopwatch.GetTimestamp();

    public void OnPerformed(PerformedContext context)
    {
        if (context.Items.TryGetValue(StartedKey, out var started) && started is long since)
        {
            metrics.JobFinished(Name(context.BackgroundJob.Job), context.Exception is null || context.ExceptionHandled, Stopwatch.GetElapsedTime(since));
        }
    }

    // Every capability's work runs through the one WorkJob; its kind is what tells jobs apart.
    private static string Name(Job job) =>
        job.Type == typeof(Jobs.Work.WorkJob) && job.Args.Count > 0 && job.Args[0] is string kind ? kind : $"{job.Type.Name}.{job.Method.Name}";
}
