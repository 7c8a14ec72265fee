namespace Dashboard.Data.Rollouts;

/// <summary>One phase as requested: <c>batch_size</c> percent (optional for the last) and <c>start_ts</c> (optional for the first).</summary>
public sealed record PhaseRequest(int? BatchSize, DateTime? StartAt);

/// <summary>One phase as it will run: how many devices it gets and when it starts.</summary>
public sealed record PhasePlan(int Index, int? BatchSize, DateTime StartAt, int DeviceCount);

/// <summary>
/// Cuts a device count into phases the way Mender does: every phase but the last takes
/// <c>batch_size</c> percent of all devices, rounded down; a phase that rounds down to zero devices
/// is refused (5 % of 11 devices is 0.55, so 0); the last phase takes the rest. The API and the
/// wizard's live preview both call this, so they agree on every number and every message.
/// </summary>
public static class RolloutPlanner
{
    public const int MaxPhases = 100;

    public static List<PhasePlan> Plan(int deviceCount, IReadOnlyList<PhaseRequest> phases, DateTime now)
    {
        if (phases.Count == 0) phases = [new PhaseRequest(null, null)];
        if (phases.Count > MaxPhases) throw new ValidationException("phases", $"phases: at most {MaxPhases} phases");

        var percentTotal = 0;
        for (var i = 0; i < phases.Count; i++)
        {
            var last = i == phases.Count - 1;
            var size = phases[i].BatchSize;
            if (size is null && !last) throw new ValidationException("batch_size", $"phases[{i}]: batch_size is required for every phase but the last");
            if (size is < 1 or > 100) throw new ValidationException("batch_size", $"phases[{i}]: batch_size must be between 1 and 100 (percent)");
            percentTotal += size ?? 0;
            if (i > 0 && phases[i].StartAt is null) throw new ValidationException("start_ts", $"phases[{i}]: start_ts is required for every phase but the first");
            if (i > 0 && phases[i - 1].StartAt is { } previous && phases[i].StartAt <= previous)
                throw new ValidationException("start_ts", $"phases[{i}]: start_ts must be later than the previous phase's start_ts");
        }
        if (percentTotal > 100) throw new ValidationException("batch_size", $"phases: the batch sizes add up to {percentTotal} %, more than 100 %");
        if (deviceCount == 0) throw new ValidationException("devices", "no devices to deploy to: no accepted device matches the target");

        var plans = new List<PhasePlan>(phases.Count);
        var assigned = 0;
        var firstStart = phases[0].StartAt ?? now;
        for (var i = 0; i < phases.Count; i++)
        {
            var last = i == phases.Count - 1;
            var size = phases[i].BatchSize;
            var count = last ? deviceCount - assigned : (int)((long)deviceCount * size!.Value / 100);
            if (count == 0)
            {
                throw new ValidationException("batch_size", last
                    ? $"phase {i + 1} (the last) gets no devices: the earlier phases already take all {deviceCount} device{(deviceCount == 1 ? "" : "s")}"
                    : $"phase {i + 1}: {size} % of {deviceCount} device{(deviceCount == 1 ? "" : "s")} rounds down to 0 devices; choose a larger batch_size");
            }
            assigned += count;
            plans.Add(new PhasePlan(i, size, i == 0 ? firstStart : phases[i].StartAt!.Value, count));
        }
        return plans;
    }
}
