using Dashboard.Data.Work;
using Dashboard.Jobs.Work;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Jobs.Work;

public sealed class HangfireWorkSchedulerTests
{
    private static readonly WorkItem Item = new("test.kind", "subject-1", "Do the thing for subject-1");

    [Fact]
    public void Enqueue_CreatesTheWorkJob_NamedByTheItemsDescription()
    {
        var client = new RecordingJobClient();
        using var scheduler = new HangfireWorkScheduler(client, new FakeTimeProvider());

        scheduler.Enqueue(Item);

        var (job, state) = Assert.Single(client.Created);
        Assert.IsType<EnqueuedState>(state);
        Assert.Equal(typeof(WorkJob), job.Type);
        Assert.Equal(["test.kind", "subject-1", "Do the thing for subject-1"], job.Args.Take(3));
        var name = Assert.Single(job.Method.GetCustomAttributes(typeof(JobDisplayNameAttribute), false).Cast<JobDisplayNameAttribute>());
        Assert.Equal("{2}", name.DisplayName);
    }

    [Fact]
    public void Schedule_MovesTheScheduledJobToTheQueue_WhenTheAppClockReachesTheTime()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var client = new RecordingJobClient();
        using var scheduler = new HangfireWorkScheduler(client, clock);

        scheduler.Schedule(Item, clock.GetUtcNow().UtcDateTime.AddMinutes(10));

        var (_, state) = Assert.Single(client.Created);
        var scheduled = Assert.IsType<ScheduledState>(state);
        // Hangfire's own copy is due on the wall clock the same 10 minutes from now.
        Assert.InRange(scheduled.EnqueueAt - DateTime.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty(client.StateChanges);

        clock.Advance(TimeSpan.FromMinutes(1));

        var change = Assert.Single(client.StateChanges);
        Assert.Equal(("1", EnqueuedState.StateName, ScheduledState.StateName), (change.JobId, change.State.Name, change.Expected));
    }

    [Fact]
    public void Schedule_ReplacesAnEarlierTime_ForTheSameSubject()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var client = new RecordingJobClient();
        using var scheduler = new HangfireWorkScheduler(client, clock);
        var now = clock.GetUtcNow().UtcDateTime;

        scheduler.Schedule(Item, now.AddMinutes(5));
        scheduler.Schedule(Item, now.AddMinutes(20));
        clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal([("1", DeletedState.StateName)], client.StateChanges.Select(c => (c.JobId, c.State.Name)));
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(("2", EnqueuedState.StateName), (client.StateChanges[^1].JobId, client.StateChanges[^1].State.Name));
    }

    [Fact]
    public void Schedule_EnqueuesAtOnce_WhenTheTimeHasPassed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var client = new RecordingJobClient();
        using var scheduler = new HangfireWorkScheduler(client, clock);

        scheduler.Schedule(Item, clock.GetUtcNow().UtcDateTime.AddSeconds(-1));

        Assert.IsType<EnqueuedState>(Assert.Single(client.Created).State);
    }

    private static readonly AsyncLocal<string?> CallerState = new();

    [Fact]
    public async Task Schedule_DoesNotCarryTheCallersAsyncLocals_IntoTheTimerThatMovesTheJob()
    {
        // The real clock: its timers run callbacks in the execution context they were created in (a fake
        // clock runs them in the test's, which would hide this). The wait is for the callback, not for time.
        var client = new RecordingJobClient();
        using var scheduler = new HangfireWorkScheduler(client, TimeProvider.System);
        var moved = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged = () => moved.TrySetResult(CallerState.Value);

        // A request schedules the work (a rollout's next phase) and ends; the timer fires long after.
        await Task.Run(() =>
        {
            CallerState.Value = "the request that scheduled it";
            scheduler.Schedule(Item, DateTime.UtcNow.AddMilliseconds(50));
        }, TestContext.Current.CancellationToken);

        Assert.Null(await moved.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    private sealed class RecordingJobClient : IBackgroundJobClient
    {
        public List<(Job Job, IState State)> Created { get; } = [];

        public List<(string JobId, IState State, string Expected)> StateChanges { get; } = [];

        public string Create(Job job, IState state)
        {
            Created.Add((job, state));
            return Created.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public Action? StateChanged { get; set; }

        public bool ChangeState(string jobId, IState state, string expectedState)
        {
            StateChanges.Add((jobId, state, expectedState));
            StateChanged?.Invoke();
            return true;
        }
    }
}

public sealed class SubjectGateTests
{
    [Fact]
    public async Task Enter_LetsOneJobPerSubjectIn_AndOthersThrough()
    {
        var gate = new SubjectGate();
        var ct = TestContext.Current.CancellationToken;
        var first = await gate.EnterAsync("batch:1", ct);

        var sameSubject = gate.EnterAsync("batch:1", ct);
        await using var otherSubject = await gate.EnterAsync("batch:2", ct);

        Assert.False(sameSubject.IsCompleted);
        await first.DisposeAsync();
        await using var second = await sameSubject.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
