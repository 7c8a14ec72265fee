using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;

namespace Dashboard.App.Tests.Data.Changes;

/// <summary>The change writer's lookups (one key, and many keys of one batch) on PostgreSQL, the scale-out database.</summary>
public sealed class ChangePostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task StartsEndsAndUpserts_FindTheStoredChanges_AloneAndInABatch_OnPostgres()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var ct = TestContext.Current.CancellationToken;
        await using var services = await DataServices.MigratedAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });
        var changes = services.Get<ChangeService>();

        var one = await changes.StartAsync(new DeploymentStart("api", "1", ["h1"]), ct);
        var oneAgain = await changes.StartAsync(new DeploymentStart("api", "1", ["H1"]), ct);
        var oneEnded = await changes.EndAsync(new DeploymentEnd("api", "1", ["h1"]), ct);
        await changes.UpsertAsync(new ChangeUpsert("CHG-1", ChangeStatuses.Planned), ct);
        var upserted = await changes.UpsertAsync(new ChangeUpsert("CHG-1", ChangeStatuses.InProgress), ct);
        var started = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => changes.StartAsync(new DeploymentStart("svc", "v" + i, ["h" + i]), ct)));
        var ended = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => changes.EndAsync(new DeploymentEnd("svc", "v" + i, ["h" + i]), ct)));
        var updated = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => changes.UpsertAsync(new ChangeUpsert("CHG-1" + i, ChangeStatuses.Planned), ct)));
        var updatedAgain = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => changes.UpsertAsync(new ChangeUpsert("CHG-1" + i, ChangeStatuses.Success), ct)));

        Assert.Equal((ChangeOutcome.AlreadyInProgress, one.Change.Id), (oneAgain.Outcome, oneAgain.Change.Id));
        Assert.Equal((ChangeOutcome.Ended, one.Change.Id), (oneEnded.Outcome, oneEnded.Change.Id));
        Assert.Equal(ChangeOutcome.Updated, upserted.Outcome);
        Assert.Equal(started.Select(r => r.Change.Id), ended.Select(r => r.Change.Id));
        Assert.All(ended, r => Assert.Equal(ChangeOutcome.Ended, r.Outcome));
        Assert.Equal(updated.Select(r => r.Change.Id), updatedAgain.Select(r => r.Change.Id));
        Assert.All(updatedAgain, r => Assert.Equal(ChangeOutcome.Updated, r.Outcome));
        Assert.Equal(1 + 1 + 100 + 50, await changes.CountAsync(ct));
    }
}
