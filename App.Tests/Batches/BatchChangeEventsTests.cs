using Dashboard.Data.Batches;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Batches;

/// <summary>Batches this product runs show on the Changes view like any tool's deployment.</summary>
public sealed class BatchChangeEventsTests
{
    [Fact]
    public async Task Process_RecordsAChangeThatStartsAndEndsInSuccess_ForACompletedBatch()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(3, "db{{index}}")], "alice", ct));

        await using (var db = services.CreateDb()) Assert.False(await db.Changes.AnyAsync(ct));
        await runner.RunAsync(batch.Id, ct);

        await using var check = services.CreateDb();
        var change = await check.Changes.SingleAsync(ct);
        Assert.Equal(BatchService.ChangeComponent, change.Component);
        Assert.Equal(batch.Id, change.Version);
        Assert.Equal(["db1", "db2", "db3"], change.Hosts.Order());
        Assert.Equal(ChangeStatuses.Success, change.Status);
        Assert.Equal("alice", change.Owner);
        Assert.Equal(TimelineSources.Batches, change.Source);
        Assert.NotNull(change.EndedAt);
        var changeEntries = await check.Timeline.Where(e => e.Source == TimelineSources.Changes).CountAsync(ct);
        Assert.Equal(2, changeEntries);
    }

    [Fact]
    public async Task Process_RecordsAFailedChangeWithTheReason_WhenTheBatchCannotBePlaced()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var batches = services.Get<BatchService>();
        var runner = services.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(40, "web{{index}}", "sjc1", "ewr1")], "alice", ct));

        await runner.RunAsync(batch.Id, ct);

        await using var db = services.CreateDb();
        var change = await db.Changes.SingleAsync(ct);
        Assert.Equal(ChangeStatuses.Failure, change.Status);
        Assert.Contains("sjc1 has 7 available", change.ErrorMessage, StringComparison.Ordinal);
        Assert.False(change.StartMissing);
    }
}
