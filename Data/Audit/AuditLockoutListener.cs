using Dashboard.Data.Auth;

namespace Dashboard.Data.Audit;

/// <summary>Every sign-in lockout (person, address or device identity) is on the audit log, as the throttle decides it.</summary>
internal sealed class AuditLockoutListener(AuditLog audit) : ISignInLockoutListener
{
    public Task LockedOutAsync(ThrottleKey key, DateTime untilUtc, int failures, CancellationToken ct) =>
        audit.RecordAsync(AuditActions.SignInLockout, key.Kind == "device" ? AuditTargets.Device : AuditTargets.User, key.Value, AuditOutcomes.Refused,
            $"{failures} failed attempts for {key}; refused until {untilUtc:u}.",
            new Actor(key.Kind == "address" ? "(unknown)" : key.Value, key.Kind == "device" ? ActorKinds.Device : ActorKinds.Person,
                RemoteAddress: key.Kind == "address" ? key.Value : null), ct);
}
