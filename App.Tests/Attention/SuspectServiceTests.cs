using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Suspects;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Attention;

/// <summary>Suspect changes on a real SQLite file with a fake clock: the window, the ranking, the subject's own change, marks.</summary>
public sealed class SuspectServiceTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DataServices _services = default!;

    private SuspectService Suspects => _services.Get<SuspectService>();
    private ChangeService Changes => _services.Get<ChangeService>();
    private DateTime Now => _services.Clock.GetUtcNow().UtcDateTime;

    public async ValueTask InitializeAsync() => _services = await DataServices.MigratedAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private async Task<Change> ChangeAsync(string component, string version, string[] hosts, DateTime start, DateTime? end, string status = ChangeStatuses.Success)
    {
        var started = await Changes.StartAsync(new DeploymentStart(component, version, hosts, start, null, "ci", "jenkins"), Ct);
        if (end is null) return started.Change;
        return (await Changes.EndAsync(new DeploymentEnd(component, version, hosts, status, status == ChangeStatuses.Failure ? "health checks failed" : null, end, "jenkins"), Ct)).Change;
    }

    [Fact]
    public async Task List_ForAFailedChange_RanksOverlappingChangesByHostsComponentAndTime()
    {
        var t0 = Now.AddHours(-1);
        var failed = await ChangeAsync("billing", "2.0", ["api-1", "api-2"], t0, t0.AddMinutes(10), ChangeStatuses.Failure);
        var sameHosts = await ChangeAsync("nginx", "1.25", ["api-1", "api-2"], t0.AddMinutes(-15), t0.AddMinutes(-14));
        var oneHost = await ChangeAsync("kernel", "6.1", ["api-2", "db-1", "db-2"], t0.AddMinutes(-30), t0.AddMinutes(-29));
        var sameComponent = await ChangeAsync("billing", "1.9", ["other-1"], t0.AddMinutes(-45), t0.AddMinutes(-44));
        var duringIt = await ChangeAsync("billing-config", "7", ["api-1"], t0.AddMinutes(5), t0.AddMinutes(6));
        var stillRunning = await ChangeAsync("agent", "3", ["api-1"], t0.AddHours(-3), null);
        await ChangeAsync("unrelated", "1", ["x-1"], t0.AddMinutes(-5), t0.AddMinutes(-4));
        await ChangeAsync("nginx", "1.24", ["api-1"], t0.AddHours(-3), t0.AddMinutes(-61));
        await ChangeAsync("billing", "2.1", ["api-1"], t0.AddMinutes(11), t0.AddMinutes(12));

        var report = await Suspects.ListAsync(SubjectKinds.Change, failed.Id.ToString(), Ct);

        Assert.True(report.Subject.Failed);
        Assert.Equal((t0.AddHours(-1), t0.AddMinutes(10)), (report.WindowStart, report.WindowEnd));
        // 50 x host overlap + 30 same component + 20 x closeness (1 at its start, 0 an hour before); ties newest first.
        Assert.Equal(
            [(duringIt.Id, 70), (sameHosts.Id, 65), (stillRunning.Id, 50), (oneHost.Id, 35), (sameComponent.Id, 35)],
            report.Suspects.Select(s => (s.ChangeId, s.Score)));
        var top = report.Suspects[1];
        Assert.Equal(["api-1", "api-2"], top.SharedHosts);
        Assert.False(top.SameComponent);
        Assert.Equal("shares 2 hosts (api-1, api-2); began 15m before it", top.Reason);
        Assert.Equal("same component; began 45m before it", report.Suspects[4].Reason);
        Assert.All(report.Suspects, s => Assert.Null(s.Mark));
    }

    [Fact]
    public async Task List_ForAFailedRollout_MatchesItsDevicesHosts_AndLeavesOutItsOwnChangeEvent()
    {
        var (rollout, ids) = await AttentionTestData.RolloutAsync(_services.Provider, Now, 2);
        string[] hosts;
        await using (var db = _services.CreateDb()) hosts = [.. await db.Devices.Where(d => ids.Contains(d.Id)).Select(d => d.Hostname).OrderBy(h => h).ToListAsync(Ct)];
        var before = await ChangeAsync("firmware", "9", [hosts[0]], Now.AddMinutes(-20), Now.AddMinutes(-19));
        _services.Clock.Advance(TimeSpan.FromMinutes(1));
        await AttentionTestData.FailAsync(_services.Provider, rollout.Id, ids);

        var report = await Suspects.ListAsync(SubjectKinds.Rollout, rollout.Id, Ct);

        Assert.Equal(RolloutStates.Failed, report.Subject.Status);
        Assert.True(report.Subject.Failed);
        Assert.Equal(hosts, report.Subject.Hosts.ToArray());
        var suspect = Assert.Single(report.Suspects);
        Assert.Equal((before.Id, 50 + 20 * 40 / 60), (suspect.ChangeId, suspect.Score));
        // The rollout's own change event (component = artifact, version = rollout id) exists, and is not its own suspect.
        Assert.Single(await Changes.ListAsync(new ChangeFilter(Component: rollout.ArtifactName), ct: Ct));
    }

    [Fact]
    public async Task Mark_StoresTheVerdictWithWhoAndWhen_AndMarkingAgainReplacesIt()
    {
        var failed = await ChangeAsync("api", "5", ["h-1"], Now.AddMinutes(-10), Now, ChangeStatuses.Failure);
        var suspect = await ChangeAsync("db", "12", ["h-1"], Now.AddMinutes(-20), Now.AddMinutes(-19));

        var first = await Suspects.MarkAsync(SubjectKinds.Change, failed.Id.ToString(), suspect.Id, SuspectVerdicts.Match, "alice", Ct);
        _services.Clock.Advance(TimeSpan.FromMinutes(5));
        await Suspects.MarkAsync(SubjectKinds.Change, failed.Id.ToString(), suspect.Id, SuspectVerdicts.NotMatch, "bob", Ct);

        Assert.Equal(new SuspectMarkView(SuspectVerdicts.Match, "alice", Now.AddMinutes(-5)), first);
        var mark = Assert.Single((await Suspects.ListAsync(SubjectKinds.Change, failed.Id.ToString(), Ct)).Suspects).Mark;
        Assert.Equal(new SuspectMarkView(SuspectVerdicts.NotMatch, "bob", Now), mark);
        await using var db = _services.CreateDb();
        Assert.Equal(1, await db.SuspectMarks.CountAsync(Ct));
    }

    [Fact]
    public async Task Mark_RefusesABadVerdict_AnUnknownSubject_AndAChangeThatIsNoSuspect_WritingNothing()
    {
        var failed = await ChangeAsync("api", "6", ["h-2"], Now.AddMinutes(-10), Now, ChangeStatuses.Failure);
        var suspect = await ChangeAsync("db", "13", ["h-2"], Now.AddMinutes(-20), Now.AddMinutes(-19));
        var unrelated = await ChangeAsync("web", "1", ["w-1"], Now.AddMinutes(-20), Now.AddMinutes(-19));

        var verdict = await Assert.ThrowsAsync<ValidationException>(() => Suspects.MarkAsync(SubjectKinds.Change, failed.Id.ToString(), suspect.Id, "maybe", "alice", Ct));
        Assert.Equal("verdict", verdict.Field);
        await Assert.ThrowsAsync<NotFoundException>(() => Suspects.MarkAsync(SubjectKinds.Rollout, "no-such-rollout", suspect.Id, SuspectVerdicts.Match, "alice", Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Suspects.ListAsync("fleet", "x", Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Suspects.ListAsync(SubjectKinds.Change, "not-a-guid", Ct));
        var notSuspect = await Assert.ThrowsAsync<ValidationException>(() => Suspects.MarkAsync(SubjectKinds.Change, failed.Id.ToString(), unrelated.Id, SuspectVerdicts.Match, "alice", Ct));
        Assert.Equal("changeId", notSuspect.Field);
        await using var db = _services.CreateDb();
        Assert.Equal(0, await db.SuspectMarks.CountAsync(Ct));
    }
}
