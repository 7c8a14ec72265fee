using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Api;
using Dashboard.App.Tests.Batches;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Batches;
using Dashboard.Data.Work;
using Dashboard.Jobs.Batches;
using Microsoft.Extensions.Time.Testing;

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
        await services.Get<BatchRunner>().RunAsync(finished.Id, ct);
        var scheduler = new RecordingWorkScheduler();

        var resumed = await new BatchReconcileStep(batches, scheduler).ReconcileAsync(ct);

        Assert.Equal(1, resumed);
        var work = Assert.Single(scheduler.Enqueued);
        Assert.Equal((BatchRunner.WorkKind, queued.Id), (work.Kind, work.SubjectId));
        Assert.Equal($"Provision batch {queued.Id[..8]}: 1 c1.small.x86 device", work.Description);
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

        // The first run's clock stands still, so its devices never come up: it is stopped while the batch is in progress.
        await using (var first = new DashboardApp(data.Path, clock: new FakeTimeProvider()).Start())
        {
            using var client = first.ApiClient("X-Auth-Token");
            var response = await client.PostAsync($"/projects/{PacketApiTests.DemoProject}/devices/batch", new StringContent(
                """{"batches":[{"hostname":"resume{{index}}","plan":"c1.small.x86","operating_system":"debian_12","facility":"any","quantity":3}]}""",
                Encoding.UTF8, "application/json"), ct);
            id = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("batches")[0].GetProperty("id").GetString()!;
            await first.WaitForBatchAsync(id, BatchStates.InProgress);
        }

        await using var second = new DashboardApp(data.Path).Start();
        using var secondClient = second.ApiClient("X-Auth-Token");
        var batch = await PacketApiTests.FinishedBatchAsync(second, secondClient, id);

        Assert.Equal("completed", batch.GetProperty("state").GetString());
        Assert.Equal(3, batch.GetProperty("devices").GetArrayLength());
    }
}
