using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Work;
using Dashboard.Jobs.Reconciliation;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Jobs.Work;

/// <summary>
/// The scheduler seam end to end: the real app, the real Hangfire server, a fake clock. A tiny
/// capability ("tick") keeps its due times in a file in the data directory, as a real one keeps
/// them in its table, and has a runner and a reconcile step like any other.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ScheduledWorkTests
{
    [Fact]
    public async Task ScheduledWork_RunsWhenTheFakeClockReachesIt_AndAgainAfterARestart_ThroughReconcile()
    {
        using var data = new TempDirectory();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var ticks = new Ticks(Path.Combine(data.Path, "ticks.json"), clock);
        var start = clock.GetUtcNow().UtcDateTime;

        await using (var first = StartApp(data.Path, clock, ticks))
        {
            var scheduler = first.Service<IWorkScheduler>();
            ticks.Add(scheduler, "t1", start.AddHours(1));
            ticks.Add(scheduler, "t2", start.AddHours(3));

            clock.Advance(TimeSpan.FromMinutes(59));
            Assert.Equal(2, first.Service<JobStorage>().GetMonitoringApi().ScheduledCount());
            clock.Advance(TimeSpan.FromMinutes(1));

            Assert.Equal(start.AddHours(1), await ticks.RanAsync("t1"));
            Assert.Null(ticks.Read()["t2"].RanAt);
        }

        // Hangfire's in-memory schedule is gone with the first app; the reconcile step finds t2 in the "database".
        await using var second = StartApp(data.Path, clock, ticks);
        clock.Advance(TimeSpan.FromHours(2));

        Assert.Equal(start.AddHours(3), await ticks.RanAsync("t2"));
        Assert.Equal(start.AddHours(1), ticks.Read()["t1"].RanAt);
    }

    private static DashboardApp StartApp(string dataDirectory, FakeTimeProvider clock, Ticks ticks) =>
        new DashboardApp(dataDirectory, clock: clock, services: s =>
        {
            s.AddSingleton<IWorkRunner>(ticks);
            s.AddSingleton<IReconcileStep>(sp => new TickReconcileStep(ticks, sp.GetRequiredService<IWorkScheduler>()));
        }).Start();

    private sealed record Tick(DateTime DueAt, DateTime? RanAt);

    /// <summary>The tick capability's store and runner: a tick runs once, only when due by the app clock.</summary>
    private sealed class Ticks(string path, TimeProvider clock) : IWorkRunner
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, TaskCompletionSource<DateTime>> _ran = [];

        public string Kind => "test.tick";

        public void Add(IWorkScheduler scheduler, string id, DateTime dueAt)
        {
            lock (_gate) Write(Read() is var all && all.TryAdd(id, new Tick(dueAt, null)) ? all : throw new InvalidOperationException(id));
            scheduler.Schedule(Work(id), dueAt);
        }

        public static WorkItem Work(string id) => new("test.tick", id, $"Tick {id}");

        public Dictionary<string, Tick> Read()
        {
            lock (_gate) return File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, Tick>>(File.ReadAllText(path))! : [];
        }

        public Task RunAsync(string subjectId, CancellationToken ct)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            lock (_gate)
            {
                var all = Read();
                // Reentrant and due-checked, like a real runner: early or repeated deliveries do nothing.
                if (!all.TryGetValue(subjectId, out var tick) || tick.RanAt is not null || tick.DueAt > now) return Task.CompletedTask;
                all[subjectId] = tick with { RanAt = now };
                Write(all);
                Completion(subjectId).TrySetResult(now);
            }
            return Task.CompletedTask;
        }

        public async Task<DateTime> RanAsync(string id)
        {
            Task<DateTime> ran;
            lock (_gate) ran = Completion(id).Task;
            return await ran.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }

        private TaskCompletionSource<DateTime> Completion(string id)
        {
            if (!_ran.TryGetValue(id, out var tcs)) _ran[id] = tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs;
        }

        private void Write(Dictionary<string, Tick> all) => File.WriteAllText(path, JsonSerializer.Serialize(all));
    }

    private sealed class TickReconcileStep(Ticks ticks, IWorkScheduler scheduler) : IReconcileStep
    {
        public string Name => "ticks";

        public Task<int> ReconcileAsync(CancellationToken ct)
        {
            var pending = ticks.Read().Where(t => t.Value.RanAt is null).ToList();
            foreach (var (id, tick) in pending) scheduler.Schedule(Ticks.Work(id), tick.DueAt);
            return Task.FromResult(pending.Count);
        }
    }
}
