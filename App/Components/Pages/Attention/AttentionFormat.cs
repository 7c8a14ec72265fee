using Dashboard.App.Components.Shared;
using Dashboard.Data.Attention;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Components.Pages.Attention;

/// <summary>How attention items read on screen, shared by the page, the badge and the kiosk block.</summary>
public static class AttentionFormat
{
    /// <summary>The status chip's palette class for a severity: critical red, warning amber, info blue.</summary>
    public static string ChipClass(string severity) => StatusChip.CssClass(severity switch
    {
        AttentionSeverities.Critical => TimelineStatuses.Failed,
        AttentionSeverities.Warning => TimelineStatuses.Paused,
        _ => TimelineStatuses.InProgress,
    });

    public static string KindLabel(string kind) => kind switch
    {
        AttentionKinds.CanaryPromotion => "promotion",
        AttentionKinds.DeploymentPaused => "paused",
        AttentionKinds.DeploymentDeadline => "deadline",
        AttentionKinds.RolloutStopped => "guard stopped",
        AttentionKinds.RolloutStalled => "stalled",
        AttentionKinds.BatchFailed or AttentionKinds.RolloutFailed or AttentionKinds.DeploymentFailed => "failed",
        AttentionKinds.ChangeLong => "long change",
        _ => kind.Replace('_', ' '),
    };

    public static string Waited(AttentionItem item, DateTime now) => ChangeFormat.Duration(now - item.Since < TimeSpan.Zero ? TimeSpan.Zero : now - item.Since);
}
