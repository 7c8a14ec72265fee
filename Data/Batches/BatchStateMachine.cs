using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;

namespace Dashboard.Data.Batches;

/// <summary>
/// The only place a batch changes state: queued -> in_progress -> completed | failed (and
/// queued -> failed when it cannot be placed), applied by the <see cref="StateRecorder"/>, which adds
/// the timeline entry and the change event in the same context. A batch is a deployment on the
/// Changes view: it starts when it goes in_progress and ends when it completes or fails.
/// </summary>
public static class BatchStateMachine
{
    /// <summary>The component under which batches appear on the Changes view and the timeline lanes.</summary>
    public const string ChangeComponent = "provisioning";

    public static readonly StateMachine Machine = new StateMachine(SubjectKinds.Batch)
        .Waiting(BatchStates.Queued, TimelineStatuses.Pending, BatchStates.InProgress, BatchStates.Failed)
        .Running(BatchStates.InProgress, TimelineStatuses.InProgress, BatchStates.Completed, BatchStates.Failed)
        .Ended(BatchStates.Completed, TimelineStatuses.Succeeded, ChangeStatuses.Success)
        .Ended(BatchStates.Failed, TimelineStatuses.Failed, ChangeStatuses.Failure);

    public static bool CanMove(string from, string to) => Machine.CanMove(from, to);

    /// <summary>How a batch shows on the timeline (component: its plan) and as a change (version: its id, hosts: its hostnames).</summary>
    public static RecordedSubject Subject(Batch batch) => new(SubjectKinds.Batch, batch.Id, TimelineSources.Batches, batch.PlanSlug, batch.Hostnames, batch.Actor,
        new ChangeSubject(ChangeComponent, batch.Id, batch.Hostnames,
            $"Batch of {batch.Quantity} {batch.PlanSlug}{(string.IsNullOrWhiteSpace(batch.Description) ? "" : ": " + batch.Description)}", batch.Actor));

    /// <summary>A new batch, queued.</summary>
    public static void Created(DashboardDbContext db, StateRecorder recorder, Batch batch)
    {
        db.Batches.Add(batch);
        recorder.Created(db, batch, Machine, Subject(batch), $"Batch of {batch.Quantity} {batch.PlanSlug} queued", batch.Description);
    }

    public static Task MoveAsync(DashboardDbContext db, StateRecorder recorder, Batch batch, string to, string title, string? details, CancellationToken ct) =>
        recorder.MoveAsync(db, batch, Machine, Subject(batch), to, title, details, ct);

    public static void Deleted(DashboardDbContext db, StateRecorder recorder, Batch batch, string actor, bool devicesRemoved)
    {
        db.Batches.Remove(batch);
        recorder.Note(db, Subject(batch), TimelineStatuses.Canceled,
            $"Batch of {batch.Quantity} {batch.PlanSlug} deleted{(devicesRemoved ? " with its devices" : "")}", actor: actor);
    }
}
