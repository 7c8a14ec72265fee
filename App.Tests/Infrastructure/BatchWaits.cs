using Dashboard.Data.Batches;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// Waits for a batch to reach a state by listening to the app's timeline (every state move records
/// an entry), not by polling on the wall clock. The limit only turns a hang into a clear failure.
/// </summary>
public static class BatchWaits
{
    public static async Task<Batch> WaitForBatchAsync(this DashboardApp app, string batchId, params string[] states)
    {
        using var moved = new SemaphoreSlim(0);
        using var subscription = app.Service<TimelineNotifier>().Subscribe(entries =>
        {
            if (entries.Any(e => e.SubjectType == SubjectKinds.Batch && e.SubjectId == batchId)) moved.Release();
        });
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        string? state = null;
        try
        {
            while (true)
            {
                var batch = (await app.Service<BatchService>().GetAsync(batchId, limit.Token))?.Batch;
                state = batch?.State;
                if (batch is not null && states.Contains(batch.State)) return batch;
                await moved.WaitAsync(limit.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"batch {batchId} is still {state ?? "missing"}, never {string.Join(" or ", states)}");
            throw;
        }
    }

    /// <summary>Waits until the batch is completed or failed.</summary>
    public static Task<Batch> WaitForFinishedBatchAsync(this DashboardApp app, string batchId) =>
        app.WaitForBatchAsync(batchId, BatchStates.Completed, BatchStates.Failed);
}
