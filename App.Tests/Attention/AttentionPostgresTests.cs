using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Attention;
using Dashboard.Data.Changes;
using Dashboard.Data.Suspects;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Attention;

/// <summary>The inbox's and the suspects' queries (grouped maxima, JSON host lists, time windows) on PostgreSQL, the scale-out database.</summary>
public sealed class AttentionPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task StalledRolloutAndSuspects_ReadTheSameOnPostgres()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var ct = TestContext.Current.CancellationToken;
        await using var services = await DataServices.MigratedAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });
        var now = services.Clock.GetUtcNow().UtcDateTime;
        var (stalled, ids) = await AttentionTestData.RolloutAsync(services.Provider, now, 2);
        // No device takes it: the phase start is its last progress.
        var changes = services.Get<ChangeService>();
        var suspect = (await changes.StartAsync(new DeploymentStart("db", "1", [$"dev-{ids[1]}"], now.AddMinutes(-5)), ct)).Change;
        await changes.StartAsync(new DeploymentStart("api", "2", [$"dev-{ids[1]}", "other"], now.AddMinutes(-1)), ct);
        var failed = (await changes.EndAsync(new DeploymentEnd("api", "2", [$"dev-{ids[1]}", "other"], ChangeStatuses.Failure), ct)).Change;
        services.Clock.Advance(TimeSpan.FromMinutes(16));

        var inbox = await services.Get<AttentionService>().ListAsync(ct);
        var report = await services.Get<SuspectService>().ListAsync(SubjectKinds.Change, failed.Id.ToString(), ct);

        var item = Assert.Single(inbox.Items);
        Assert.Equal((AttentionKinds.RolloutStalled, stalled.Id, now), (item.Kind, item.SubjectId, item.Since));
        // The db change (one host of ours, 4 minutes before) outranks the rollout's own change event (half our hosts, during it).
        Assert.Equal([(suspect.Id, 69), (report.Suspects[1].ChangeId, 45)], report.Suspects.Select(s => (s.ChangeId, s.Score)));
        Assert.Equal(stalled.ArtifactName, report.Suspects[1].Component);
    }
}
