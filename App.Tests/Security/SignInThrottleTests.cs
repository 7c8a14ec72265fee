using System.Collections.Concurrent;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Security;

/// <summary>The throttle's rules on their own, with a fake clock.</summary>
public sealed class SignInThrottleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Failures_AreFreeThenDoubleTheDelay_ThenLockOut()
    {
        await using var data = await DataServices.MigratedAsync(s => s.AddSingleton<ISignInLockoutListener>(new RecordingLockouts()));
        var throttle = data.Get<SignInThrottle>();
        var key = ThrottleKey.User("alice");

        for (var i = 0; i < ThrottleRule.User.FreeFailures; i++)
        {
            throttle.ThrowIfBlocked(key);
            await throttle.FailedAsync(Ct, key);
        }
        throttle.ThrowIfBlocked(key);

        var waits = new List<double>();
        for (var failure = ThrottleRule.User.FreeFailures + 1; failure < ThrottleRule.User.LockoutAfter; failure++)
        {
            await throttle.FailedAsync(Ct, key);
            var blocked = Assert.Throws<TooManyAttemptsException>(() => throttle.ThrowIfBlocked(key));
            waits.Add(blocked.RetryAfter.TotalSeconds);
            data.Clock.Advance(blocked.RetryAfter);
            throttle.ThrowIfBlocked(key);
        }
        Assert.Equal([1, 2, 4, 8], waits);

        await throttle.FailedAsync(Ct, key);
        var locked = Assert.Throws<TooManyAttemptsException>(() => throttle.ThrowIfBlocked(key));
        Assert.Equal(ThrottleRule.User.Lockout, locked.RetryAfter);
        Assert.Equal(900, locked.RetryAfterSeconds);
        var lockout = Assert.Single(((RecordingLockouts)data.Get<IEnumerable<ISignInLockoutListener>>().OfType<RecordingLockouts>().Single()).Seen);
        Assert.Equal(("user", "alice"), (lockout.Kind, lockout.Value));
        await using (var db = data.CreateDb())
        {
            var audited = Assert.Single(db.AuditEntries.Where(e => e.Action == Dashboard.Data.Audit.AuditActions.SignInLockout));
            Assert.Equal(("alice", Dashboard.Data.Audit.AuditOutcomes.Refused), (audited.TargetId, audited.Outcome));
        }

        data.Clock.Advance(ThrottleRule.User.Lockout);
        throttle.ThrowIfBlocked(key);
    }

    [Fact]
    public async Task Success_ForgetsTheFailures_AndOtherKeysAreUntouched()
    {
        await using var data = new DataServices();
        var throttle = data.Get<SignInThrottle>();
        var bob = ThrottleKey.User("bob");
        for (var i = 0; i <= ThrottleRule.User.FreeFailures; i++) await throttle.FailedAsync(Ct, bob);
        Assert.Throws<TooManyAttemptsException>(() => throttle.ThrowIfBlocked(bob));
        throttle.ThrowIfBlocked(ThrottleKey.User("carol"));

        data.Clock.Advance(TimeSpan.FromSeconds(1));
        throttle.Succeeded(bob);
        await throttle.FailedAsync(Ct, bob);

        throttle.ThrowIfBlocked(bob);
    }

    [Fact]
    public async Task UserNames_AreThrottledWhateverTheirCase()
    {
        await using var data = new DataServices();
        var throttle = data.Get<SignInThrottle>();
        for (var i = 0; i <= ThrottleRule.User.FreeFailures; i++) await throttle.FailedAsync(Ct, ThrottleKey.User(i % 2 == 0 ? "Admin" : "admin "));

        Assert.Throws<TooManyAttemptsException>(() => throttle.ThrowIfBlocked(ThrottleKey.User("ADMIN")));
    }

    public sealed class RecordingLockouts : ISignInLockoutListener
    {
        public ConcurrentQueue<ThrottleKey> Seen { get; } = new();

        public Task LockedOutAsync(ThrottleKey key, DateTime untilUtc, int failures, CancellationToken ct)
        {
            Seen.Enqueue(key);
            return Task.CompletedTask;
        }
    }
}
