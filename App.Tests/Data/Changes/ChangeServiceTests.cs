using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data.Changes;

public sealed class ChangeServiceTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static DeploymentStart Start(params string[] hosts) => new("billing", "1.2.3", hosts.Length == 0 ? ["prod-api-1", "prod-api-2"] : hosts, Owner: "john@acme.com");

    private static DeploymentEnd End(string status = ChangeStatuses.Success, params string[] hosts) =>
        new("billing", "1.2.3", hosts.Length == 0 ? ["prod-api-1", "prod-api-2"] : hosts, status, status == ChangeStatuses.Failure ? "Failed migration mongodb" : null);

    [Fact]
    public async Task End_ClosesTheStartedChange_WhenHostsAreInAnotherOrderAndCase()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        var started = await changes.StartAsync(Start("prod-api-1", "prod-api-2"), Ct);
        data.Clock.Advance(TimeSpan.FromMinutes(3));
        var ended = await changes.EndAsync(End(ChangeStatuses.Failure, "PROD-API-2", " prod-api-1 "), Ct);

        Assert.Equal(ChangeOutcome.Started, started.Outcome);
        Assert.Equal(ChangeOutcome.Ended, ended.Outcome);
        Assert.Equal(started.Change.Id, ended.Change.Id);
        var stored = Assert.Single(await changes.ListAsync(ChangeFilter.None, ct: Ct));
        Assert.Equal(ChangeStatuses.Failure, stored.Status);
        Assert.Equal("Failed migration mongodb", stored.ErrorMessage);
        Assert.Equal(TimeSpan.FromMinutes(3), stored.Duration(data.Clock.GetUtcNow().UtcDateTime));
    }

    [Fact]
    public async Task Start_DoesNotDuplicate_WhenTheSameChangeIsAlreadyInProgress()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        var first = await changes.StartAsync(Start(), Ct);
        var again = await changes.StartAsync(Start("prod-api-2", "prod-api-1"), Ct);

        Assert.Equal(ChangeOutcome.AlreadyInProgress, again.Outcome);
        Assert.Equal(first.Change.Id, again.Change.Id);
        Assert.Equal(1, await changes.CountAsync(Ct));
        Assert.Single(await TimelineOf(data));
    }

    [Fact]
    public async Task Start_OpensASecondChange_WhenTheHostSetDiffers()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        await changes.StartAsync(Start("prod-api-1", "prod-api-2"), Ct);
        var other = await changes.StartAsync(Start("prod-api-1"), Ct);

        Assert.Equal(ChangeOutcome.Started, other.Outcome);
        Assert.Equal(2, await changes.CountAsync(Ct));
    }

    [Fact]
    public async Task End_RecordsAFinishedChange_WhenThereWasNoStart()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        var ended = await changes.EndAsync(End(), Ct);

        Assert.Equal(ChangeOutcome.EndedWithoutStart, ended.Outcome);
        Assert.Contains("without a start", ended.Message, StringComparison.Ordinal);
        Assert.True(ended.Change.StartMissing);
        Assert.Equal(ChangeStatuses.Success, ended.Change.Status);
        Assert.Equal(ended.Change.StartedAt, ended.Change.EndedAt);
    }

    [Fact]
    public async Task End_IsAReplay_WhenTheChangeHasAlreadyEnded()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(Start(), Ct);
        var first = await changes.EndAsync(End(ChangeStatuses.Success), Ct);
        data.Clock.Advance(TimeSpan.FromMinutes(1));

        var replay = await changes.EndAsync(End(ChangeStatuses.Failure), Ct);

        Assert.Equal(ChangeOutcome.AlreadyEnded, replay.Outcome);
        var stored = Assert.Single(await changes.ListAsync(ChangeFilter.None, ct: Ct));
        Assert.Equal(ChangeStatuses.Success, stored.Status);
        Assert.Equal(first.Change.EndedAt, stored.EndedAt);
        Assert.Equal(2, (await TimelineOf(data)).Count);
    }

    [Fact]
    public async Task Start_OpensANewChange_AfterTheSameChangeEnded()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(Start(), Ct);
        await changes.EndAsync(End(ChangeStatuses.Failure), Ct);
        data.Clock.Advance(TimeSpan.FromMinutes(5));

        var retry = await changes.StartAsync(Start(), Ct);
        var retryEnd = await changes.EndAsync(End(), Ct);

        Assert.Equal(ChangeOutcome.Started, retry.Outcome);
        Assert.Equal(ChangeOutcome.Ended, retryEnd.Outcome);
        Assert.Equal(retry.Change.Id, retryEnd.Change.Id);
        Assert.Equal(2, await changes.CountAsync(Ct));
    }

    [Fact]
    public async Task EveryStateChange_AddsATimelineEntry_WithTheMappedStatus()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        var started = await changes.StartAsync(Start(), Ct);
        await changes.EndAsync(End(ChangeStatuses.Failure), Ct);

        var entries = await TimelineOf(data);

        Assert.Equal([TimelineStatuses.Failed, TimelineStatuses.InProgress], entries.Select(e => e.Status));
        Assert.All(entries, e =>
        {
            Assert.Equal(TimelineSources.Changes, e.Source);
            Assert.Equal("change", e.SubjectType);
            Assert.Equal(started.Change.Id.ToString(), e.SubjectId);
            Assert.Equal(["prod-api-1", "prod-api-2"], e.Hosts);
        });
        Assert.Equal("Failed migration mongodb", entries[0].Details);
    }

    [Theory]
    [InlineData("", "1.0", "component")]
    [InlineData("billing", "  ", "version")]
    public async Task Start_RejectsEmptyNames_NamingTheField(string component, string version, string field)
    {
        await using var data = await DataServices.MigratedAsync();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => data.Get<ChangeService>().StartAsync(new DeploymentStart(component, version, ["h1"]), Ct));

        Assert.Equal(field, ex.Field);
        Assert.Equal(0, await data.Get<ChangeService>().CountAsync(Ct));
    }

    [Fact]
    public async Task Start_RejectsAnEmptyHostList()
    {
        await using var data = await DataServices.MigratedAsync();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => data.Get<ChangeService>().StartAsync(new DeploymentStart("billing", "1", []), Ct));

        Assert.Equal("hosts", ex.Field);
    }

    [Fact]
    public async Task ConcurrentRequests_AreAllCommitted_AndMatchedWithinOneBatch()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        var starts = Enumerable.Range(0, 300).Select(i => changes.StartAsync(new DeploymentStart("svc", "v" + i, ["h" + i]), Ct));
        var results = await Task.WhenAll(starts);
        var ends = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => changes.EndAsync(new DeploymentEnd("svc", "v" + i, ["h" + i]), Ct)));

        Assert.All(results, r => Assert.Equal(ChangeOutcome.Started, r.Outcome));
        Assert.All(ends, r => Assert.Equal(ChangeOutcome.Ended, r.Outcome));
        Assert.Equal(300, await changes.CountAsync(Ct));
        Assert.Equal(600, (await TimelineOf(data)).Count);
    }

    [Fact]
    public async Task ConcurrentUpserts_UpdateTheStoredChanges_WhenLookedUpTogether()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        var ids = Enumerable.Range(0, 200).Select(i => "CHG-" + i).ToList();

        var created = await Task.WhenAll(ids.Select(id => changes.UpsertAsync(new ChangeUpsert(id, ChangeStatuses.InProgress), Ct)));
        var done = await Task.WhenAll(ids.Select(id => changes.UpsertAsync(new ChangeUpsert(id, ChangeStatuses.Success), Ct)));

        Assert.All(created, r => Assert.Equal(ChangeOutcome.Created, r.Outcome));
        Assert.All(done, r => Assert.Equal(ChangeOutcome.Updated, r.Outcome));
        Assert.Equal(created.Select(r => r.Change.Id), done.Select(r => r.Change.Id));
        Assert.Equal(200, await changes.CountAsync(Ct));
        Assert.Equal(400, (await TimelineOf(data)).Count);
    }

    [Fact]
    public async Task Start_ReadsWhatIsStoredNow_NotWhatAnEarlierBatchSaw()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        var first = await changes.StartAsync(Start(), Ct);

        // Ended behind the writer's back, as a batch or a rollout does in its own transaction.
        await using (var db = data.CreateDb())
        {
            await changes.RecordEndAsync(db, End(), Ct);
            await db.SaveChangesAsync(Ct);
        }
        var second = await changes.StartAsync(Start(), Ct);

        Assert.Equal(ChangeOutcome.Started, second.Outcome);
        Assert.NotEqual(first.Change.Id, second.Change.Id);
        Assert.Equal(2, await changes.CountAsync(Ct));
    }

    [Fact]
    public async Task ABatchThatFailsToCommit_IsRetriedOneByOne_AndOnlyTheBadRequestFails()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        await using (var db = data.CreateDb())
        {
            // A real commit failure for one component only: the database refuses the row.
            await db.Database.ExecuteSqlRawAsync(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON Changes WHEN NEW.Component = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END;", Ct);
        }

        var requests = Enumerable.Range(0, 50)
            .Select(i => changes.StartAsync(new DeploymentStart(i == 25 ? "bad" : "good", "v" + i, ["h"]), Ct))
            .ToList();
        var outcomes = await Task.WhenAll(requests.Select(async r =>
        {
            try { return (await r).Outcome.ToString(); }
            catch (DbUpdateException) { return "refused"; }
        }));
        var after = await changes.StartAsync(new DeploymentStart("good", "after", ["h"]), Ct);

        Assert.Equal("refused", outcomes[25]);
        Assert.Equal(49, outcomes.Count(o => o == nameof(ChangeOutcome.Started)));
        Assert.Equal(ChangeOutcome.Started, after.Outcome);
        Assert.Equal(50, await changes.CountAsync(Ct));
        Assert.Equal(50, (await TimelineOf(data)).Count);
    }

    private static readonly AsyncLocal<string?> CallerState = new();

    [Fact]
    public async Task TheWriter_DoesNotCarryTheFirstCallersAsyncLocals_IntoLaterCommits()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        var seen = new List<string?>();
        // Subscribers run on the committing thread, in the writer's execution context.
        using var _ = data.Get<TimelineNotifier>().Subscribe(entries => { lock (seen) seen.Add(CallerState.Value); });

        await Task.Run(async () =>
        {
            CallerState.Value = "first caller";
            await changes.StartAsync(Start(), Ct);
        }, Ct);
        await changes.EndAsync(End(), Ct);

        Assert.Equal([null, null], seen);
    }

    [Fact]
    public async Task Upsert_CreatesThenUpdates_AndAReplayChangesNothing()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        var upsert = new ChangeUpsert("CHG-1", ChangeStatuses.InProgress, "Upgrade DB", TicketUrl: "https://tickets/CHG-1", TagsJson: """{"component":"db"}""", Component: "db");

        var created = await changes.UpsertAsync(upsert, Ct);
        var replay = await changes.UpsertAsync(upsert, Ct);
        var done = await changes.UpsertAsync(upsert with { Status = ChangeStatuses.Success }, Ct);

        Assert.Equal(ChangeOutcome.Created, created.Outcome);
        Assert.Equal(ChangeOutcome.Unchanged, replay.Outcome);
        Assert.Equal(ChangeOutcome.Updated, done.Outcome);
        var stored = Assert.Single(await changes.ListAsync(ChangeFilter.None, ct: Ct));
        Assert.Equal("CHG-1", stored.Identifier);
        Assert.Equal(ChangeStatuses.Success, stored.Status);
        Assert.NotNull(stored.EndedAt);
        Assert.Equal(2, (await TimelineOf(data)).Count);
    }

    [Fact]
    public async Task RecordStartAndEnd_CommitWithTheCallersOwnWork_AndRollBackWithIt()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();

        await using (var db = data.CreateDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            await changes.RecordStartAsync(db, new DeploymentStart("web", "batch-1", ["h1"], Source: TimelineSources.Batches), Ct);
            await db.SaveChangesAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        Assert.Equal(0, await changes.CountAsync(Ct));

        await using (var db = data.CreateDb())
        {
            await changes.RecordStartAsync(db, new DeploymentStart("web", "batch-1", ["h1"], Source: TimelineSources.Batches), Ct);
            var end = await changes.RecordEndAsync(db, new DeploymentEnd("web", "batch-1", ["h1"]), Ct);
            Assert.Equal(ChangeOutcome.Ended, end.Outcome);
            await db.SaveChangesAsync(Ct);
        }
        var stored = Assert.Single(await changes.ListAsync(new ChangeFilter(Source: TimelineSources.Batches), ct: Ct));
        Assert.Equal(ChangeStatuses.Success, stored.Status);
    }

    [Fact]
    public async Task List_FiltersByHostAndStatus()
    {
        await using var data = await DataServices.MigratedAsync();
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(new DeploymentStart("a", "1", ["h1", "h2"]), Ct);
        await changes.StartAsync(new DeploymentStart("b", "1", ["h3"]), Ct);
        await changes.EndAsync(new DeploymentEnd("b", "1", ["h3"], ChangeStatuses.Failure), Ct);

        Assert.Equal("a", Assert.Single(await changes.ListAsync(new ChangeFilter(Host: "H2"), ct: Ct)).Component);
        Assert.Equal("b", Assert.Single(await changes.ListAsync(new ChangeFilter(Status: ChangeStatuses.Failure), ct: Ct)).Component);
    }

    private static async Task<List<TimelineEntry>> TimelineOf(DataServices data)
    {
        await using var db = data.CreateDb();
        return await db.Timeline.Where(e => e.Source == TimelineSources.Changes).OrderByDescending(e => e.Id).ToListAsync(Ct);
    }
}
