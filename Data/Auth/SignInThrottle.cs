using System.Collections.Concurrent;
using System.Globalization;

namespace Dashboard.Data.Auth;

/// <summary>A sign-in (or device authentication) refused without looking at the credentials, because too many failed lately.</summary>
public sealed class TooManyAttemptsException(TimeSpan retryAfter)
    : Exception($"Too many failed sign-in attempts. Try again in {Describe(retryAfter)}.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>Whole seconds, at least one, as <c>Retry-After</c> wants them.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));

    public static string Describe(TimeSpan wait) => wait.TotalSeconds <= 90
        ? $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} seconds"
        : $"{(int)Math.Ceiling(wait.TotalMinutes)} minutes";
}

/// <summary>How patient the throttle is: per key kind, free attempts, then doubling delays, then a lockout.</summary>
public sealed record ThrottleRule(int FreeFailures, TimeSpan FirstDelay, int LockoutAfter, TimeSpan Lockout)
{
    /// <summary>One person's account: a few typos are free, guessing is not.</summary>
    public static readonly ThrottleRule User = new(5, TimeSpan.FromSeconds(1), 10, TimeSpan.FromMinutes(15));

    /// <summary>One address, which may be a whole office behind one NAT: more room, the same end.</summary>
    public static readonly ThrottleRule Address = new(20, TimeSpan.FromSeconds(1), 50, TimeSpan.FromMinutes(15));

    /// <summary>One Mender device identity: a device signs correctly or not at all, so a few failures are already suspicious.</summary>
    public static readonly ThrottleRule Device = new(5, TimeSpan.FromSeconds(1), 20, TimeSpan.FromMinutes(15));
}

/// <summary>What the throttle watches: the kind of key (user, address, device) and its value.</summary>
public readonly record struct ThrottleKey(string Kind, string Value, ThrottleRule Rule)
{
    public static ThrottleKey User(string userName) => new("user", userName.Trim().ToLowerInvariant(), ThrottleRule.User);
    public static ThrottleKey Address(string? address) => new("address", address ?? "unknown", ThrottleRule.Address);
    public static ThrottleKey Device(string identity) => new("device", identity, ThrottleRule.Device);

    public override string ToString() => $"{Kind} {Value}";
}

/// <summary>
/// Where a lockout is reported. The audit log subscribes (every lockout is on it); without a
/// subscriber a lockout is still logged by the caller's logger.
/// </summary>
public interface ISignInLockoutListener
{
    Task LockedOutAsync(ThrottleKey key, DateTime untilUtc, int failures, CancellationToken ct);
}

/// <summary>
/// Slows down password and device-key guessing: consecutive failures per key (a user name, an
/// address, a device identity) are free up to the rule's allowance, then each failure blocks the
/// key for a doubling delay, and at the rule's limit for a lockout. While a key is blocked, attempts
/// are refused without checking the credentials (so a blocked guesser learns nothing), and a success
/// forgets the failures. State is per node and in memory: a restart forgives, and on two nodes a
/// guesser gets at most twice the allowance, which still makes guessing hopeless.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock, IEnumerable<ISignInLockoutListener> listeners)
{
    // Bounded memory under a spray of random user names: beyond this, entries that no longer block are dropped.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<(string Kind, string Value), Entry> _entries = new();

    private sealed class Entry
    {
        public int Failures;
        public DateTime BlockedUntil;
        public DateTime LastFailure;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Throws <see cref="TooManyAttemptsException"/> when any of <paramref name="keys"/> is blocked now.</summary>
    public void ThrowIfBlocked(params ReadOnlySpan<ThrottleKey> keys)
    {
        var now = Now;
        var wait = TimeSpan.Zero;
        foreach (var key in keys)
        {
            if (_entries.TryGetValue((key.Kind, key.Value), out var entry))
            {
                lock (entry)
                {
                    if (entry.BlockedUntil > now && entry.BlockedUntil - now > wait) wait = entry.BlockedUntil - now;
                }
            }
        }
        if (wait > TimeSpan.Zero) throw new TooManyAttemptsException(wait);
    }

    /// <summary>Counts a failure against every key; reports a key that this failure locked out.</summary>
    public async Task FailedAsync(CancellationToken ct, params ThrottleKey[] keys)
    {
        var now = Now;
        if (_entries.Count > PruneAbove) Prune(now);
        foreach (var key in keys)
        {
            var entry = _entries.GetOrAdd((key.Kind, key.Value), _ => new Entry());
            DateTime? lockedUntil = null;
            int failures;
            lock (entry)
            {
                // Failures long after the last one start a new count: a lockout is served, not carried for ever.
                if (entry.LastFailure != default && now - entry.LastFailure > key.Rule.Lockout) entry.Failures = 0;
                failures = ++entry.Failures;
                entry.LastFailure = now;
                if (failures >= key.Rule.LockoutAfter)
                {
                    var until = now + key.Rule.Lockout;
                    if (failures == key.Rule.LockoutAfter) lockedUntil = until;
                    entry.BlockedUntil = until;
                }
                else if (failures > key.Rule.FreeFailures)
                {
                    var doublings = Math.Min(failures - key.Rule.FreeFailures - 1, 20);
                    var delay = key.Rule.FirstDelay * Math.Pow(2, doublings);
                    entry.BlockedUntil = now + (delay < key.Rule.Lockout ? delay : key.Rule.Lockout);
                }
            }
            if (lockedUntil is { } locked)
            {
                foreach (var listener in listeners) await listener.LockedOutAsync(key, locked, failures, ct);
            }
        }
    }

    /// <summary>A success forgets the failures of every key.</summary>
    public void Succeeded(params ReadOnlySpan<ThrottleKey> keys)
    {
        foreach (var key in keys) _entries.TryRemove((key.Kind, key.Value), out _);
    }

    private void Prune(DateTime now)
    {
        foreach (var (key, entry) in _entries)
        {
            bool stale;
            lock (entry) stale = entry.BlockedUntil <= now && now - entry.LastFailure > TimeSpan.FromMinutes(1);
            if (stale) _entries.TryRemove(key, out _);
        }
    }
}

/// <summary>The throttled sign-in both the login form and Mender's management login use.</summary>
public sealed class SignInService(UserService users, SignInThrottle throttle)
{
    /// <summary>
    /// The user when the password is right, null when it is wrong; <see cref="TooManyAttemptsException"/>
    /// when this user name or address has failed too often lately (the password is then not checked).
    /// </summary>
    public async Task<User?> SignInAsync(string userName, string password, string sessionId, string? address, string via, CancellationToken ct = default)
    {
        userName = userName.Trim();
        ThrottleKey[] keys = [ThrottleKey.User(userName), ThrottleKey.Address(address)];
        throttle.ThrowIfBlocked(keys);
        var user = await users.SignInAsync(userName, password, sessionId, address, via, ct);
        if (user is null) await throttle.FailedAsync(ct, keys);
        else throttle.Succeeded(keys);
        return user;
    }
}

/// <summary>Every lockout goes to the log as a warning, whoever else listens.</summary>
internal sealed partial class LoggingLockoutListener(Microsoft.Extensions.Logging.ILogger<SignInThrottle> logger) : ISignInLockoutListener
{
    public Task LockedOutAsync(ThrottleKey key, DateTime untilUtc, int failures, CancellationToken ct)
    {
        LockedOut(logger, key.Kind, key.Value, failures, untilUtc);
        return Task.CompletedTask;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Sign-in locked out for {Kind} {Key} after {Failures} failed attempts, until {Until:u}")]
    private static partial void LockedOut(Microsoft.Extensions.Logging.ILogger logger, string kind, string key, int failures, DateTime until);
}
