using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Api;
using Dashboard.App.Tests.Batches;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Batches;
using Dashboard.Jobs.Batches;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace Dashboard.App.Tests.Jobs.Batches;

public sealed class BatchJobsTests
{
    [Fact]
    public async Task ReconcileStep_EnqueuesQueuedAndInProgressBatches_ButNotFinishedOnes()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var batches = services.Get<BatchService>();
        var ct = TestContext.Current.CancellationToken;
        var queued = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(1, "q1")], "a", ct));
        var finished = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(1, "f1")], "a", ct));
        await batches.ProcessAsync(finished.Id, ct);
        var queue = new ManualBatchQueue();

        var resumed = await new BatchReconcileStep(batches, queue).ReconcileAsync(ct);

        Assert.Equal(1, resumed);
        Assert.Equal([queued.Id], queue.Enqueued);
    }

    [Fact]
    public void HangfireQueue_EnqueuesTheWorkerJob_WithTheBatchId()
    {
        var client = new RecordingJobClient();

        new HangfireBatchQueue(client).Enqueue("batch-42");

        var job = Assert.Single(client.Created);
        Assert.Equal(typeof(BatchWorkerJob), job.Type);
        Assert.Equal(nameof(BatchWorkerJob.RunAsync), job.Method.Name);
        Assert.Equal("batch-42", job.Args[0]);
    }

    private sealed class RecordingJobClient : IBackgroundJobClient
    {
        public List<Job> Created { get; } = [];

        public string Create(Job job, IState state)
        {
            Created.Add(job);
            return Created.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => true;
    }
}

[Collection(AppCollection.Name)]
public sealed class BatchRestartTests
{
    [Fact]
    public async Task InProgressBatch_IsResumedAndCompleted_AfterARestart()
    {
        using var data = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        string id;

        // The first run brings devices up slowly and is stopped while the batch is in progress.
        await using (var first = new DashboardApp(data.Path, new Dictionary<string, string?> { ["Dashboard:Provisioner:DelayMs"] = "60000" }).Start())
        {
            using var client = first.ApiClient("X-Auth-Token");
            var response = await client.PostAsync($"/projects/{PacketApiTests.DemoProject}/devices/batch", new StringContent(
                """{"batches":[{"hostname":"resume{{index}}","plan":"c1.small.x86","operating_system":"debian_12","facility":"any","quantity":3}]}""",
                Encoding.UTF8, "application/json"), ct);
            id = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("batches")[0].GetProperty("id").GetString()!;
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while ((await first.Service<BatchService>().GetAsync(id, ct))!.Batch.State != BatchStates.InProgress)
            {
                Assert.True(DateTime.UtcNow < deadline, "the batch never started");
                await Task.Delay(50, ct);
            }
        }

        await using var second = new DashboardApp(data.Path).Start();
        using var secondClient = second.ApiClient("X-Auth-Token");
        var batch = await PacketApiTests.FinishedBatchAsync(secondClient, id);

        Assert.Equal("completed", batch.GetProperty("state").GetString());
        Assert.Equal(3, batch.GetProperty("devices").GetArrayLength());
    }
}
