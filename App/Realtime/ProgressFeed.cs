using Dashboard.Data.Work;

namespace Dashboard.App.Realtime;

public static class ProgressFeed
{
    /// <summary>
    /// Signals the feed with the subject id whenever a subject of <paramref name="kind"/> (or only
    /// <paramref name="subjectId"/>) reports progress; the subscription is disposed with the feed.
    /// </summary>
    public static LiveFeed ListenProgress(this LiveFeed feed, ProgressNotifier notifier, string kind, string? subjectId = null) =>
        feed.Own(notifier.Subscribe(kind, subjectId, signal => feed.Signal(signal.SubjectId)));
}
