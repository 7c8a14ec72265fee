using Dashboard.Data.Audit;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Data.Auth;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts.Devices;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

public enum AuthOutcome { Accepted, Pending, Rejected, BadSignature }

public sealed record AuthResult(AuthOutcome Outcome, string? DeviceId = null, string? Token = null, string? Message = null);

/// <summary>A Mender device as the devauth API shows it.</summary>
public sealed record MenderDeviceView(Device Device, IReadOnlyList<MenderAuthSet> AuthSets);

/// <summary>
/// Mender device admission: auth requests (signature over the raw body, pending until an operator
/// accepts), device tokens, and the operator's accept / reject / decommission. A Mender device is
/// a fleet <see cref="Device"/> with <see cref="Device.AuthStatus"/> set, so the Fleet page, Packet's
/// device list and rollouts all see one inventory.
/// </summary>
public sealed partial class MenderDeviceService(IDbContextFactory<DashboardDbContext> dbFactory, DeviceTokenService tokens, TimeProvider clock, AuditLog audit, SignInThrottle throttle)
{
    /// <summary>The project Mender devices join when they first ask to be admitted.</summary>
    public const string ProjectId = "mender";
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(7);
    private static readonly TimeSpan AcceptedCacheFor = TimeSpan.FromSeconds(5);

    // Every device call checks the device is still accepted; a short cache keeps that off the database.
    private readonly ConcurrentDictionary<string, DateTime> _acceptedUntil = new();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Handles <c>POST /api/devices/v1/authentication/auth_requests</c>. <paramref name="body"/> is the raw
    /// request body: the signature covers those bytes exactly, so it is never re-serialised.
    /// </summary>
    public async Task<AuthResult> AuthenticateAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken ct = default)
    {
        var (identity, attributes, publicKey) = ParseAuthRequest(body);
        if (string.IsNullOrWhiteSpace(signature)) throw new ValidationException("X-MEN-Signature", "missing request signature (X-MEN-Signature header)");
        // Per identity: a device that keeps failing its signature is someone trying keys, and is slowed down.
        var throttleKey = ThrottleKey.Device(identity);
        throttle.ThrowIfBlocked(throttleKey);
        if (!DeviceSignatures.Verify(publicKey, body.Span, signature.Trim()))
        {
            await throttle.FailedAsync(ct, throttleKey);
            return new AuthResult(AuthOutcome.BadSignature, Message: "signature verification failed");
        }
        throttle.Succeeded(throttleKey);

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await AdmitAsync(identity, attributes, publicKey, ct);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // The daemon sends its first two auth requests back to back; the loser of the race
                // to create the device finds it on the second try.
            }
        }
    }

    private async Task<AuthResult> AdmitAsync(string identity, Dictionary<string, JsonElement> attributes, string publicKey, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = Now;
        var device = await db.Devices.FirstOrDefaultAsync(d => d.IdentityData == identity, ct);
        if (device is null)
        {
            device = await NewDeviceAsync(db, identity, attributes, now, ct);
            db.MenderAuthSets.Add(new MenderAuthSet { Id = Guid.NewGuid().ToString(), DeviceId = device.Id, IdentityData = identity, PublicKey = publicKey, CreatedAt = now });
            db.Timeline.Add(DeviceEntry(device, TimelineStatuses.Pending, $"Mender device {device.Hostname} asks to be admitted", now));
            await db.SaveChangesAsync(ct);
            return new AuthResult(AuthOutcome.Pending, device.Id, Message: "device is pending authorization");
        }
        if (device.AuthStatus == MenderAuthStatuses.Decommissioned)
            return new AuthResult(AuthOutcome.Rejected, device.Id, Message: "device was decommissioned");

        var sets = await db.MenderAuthSets.Where(s => s.DeviceId == device.Id).ToListAsync(ct);
        var set = sets.FirstOrDefault(s => s.PublicKey == publicKey);
        if (set is null)
        {
            // A new key for a known identity (a re-flashed device): it waits for the operator again.
            db.MenderAuthSets.Add(new MenderAuthSet { Id = Guid.NewGuid().ToString(), DeviceId = device.Id, IdentityData = identity, PublicKey = publicKey, CreatedAt = now });
            if (device.AuthStatus != MenderAuthStatuses.Accepted) device.AuthStatus = MenderAuthStatuses.Pending;
            device.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            return new AuthResult(AuthOutcome.Pending, device.Id, Message: "device is pending authorization");
        }
        switch (set.Status)
        {
            case MenderAuthStatuses.Accepted or MenderAuthStatuses.Preauthorized:
                if (set.Status == MenderAuthStatuses.Preauthorized) { set.Status = MenderAuthStatuses.Accepted; device.AuthStatus = MenderAuthStatuses.Accepted; }
                device.CheckInAt = now;
                await db.SaveChangesAsync(ct);
                _acceptedUntil[device.Id] = now + AcceptedCacheFor;
                return new AuthResult(AuthOutcome.Accepted, device.Id, tokens.Issue(device.Id, now + TokenLifetime));
            case MenderAuthStatuses.Rejected:
                return new AuthResult(AuthOutcome.Rejected, device.Id, Message: "device authentication was rejected");
            default:
                return new AuthResult(AuthOutcome.Pending, device.Id, Message: "device is pending authorization");
        }
    }

    /// <summary>The device a bearer token speaks for, or null when the token is invalid, expired, or the device is no longer accepted.</summary>
    public async Task<string?> AuthenticateTokenAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token)) return null;
        var now = Now;
        if (!tokens.TryValidate(token, out var deviceId)) return null;
        if (_acceptedUntil.TryGetValue(deviceId, out var until) && until > now) return deviceId;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var accepted = await db.Devices.AnyAsync(d => d.Id == deviceId && d.AuthStatus == MenderAuthStatuses.Accepted, ct);
        if (!accepted) { _acceptedUntil.TryRemove(deviceId, out _); return null; }
        await db.Devices.Where(d => d.Id == deviceId).ExecuteUpdateAsync(s => s.SetProperty(d => d.CheckInAt, now), ct);
        _acceptedUntil[deviceId] = now + AcceptedCacheFor;
        return deviceId;
    }

    public async Task<(List<MenderDeviceView> Devices, int Total)> ListAsync(string? status, int page, int perPage, CancellationToken ct = default)
    {
        if (status is not null && status is not (MenderAuthStatuses.Pending or MenderAuthStatuses.Accepted or MenderAuthStatuses.Rejected or MenderAuthStatuses.Preauthorized or "noauth"))
            throw new ValidationException("status", $"invalid status '{status}'");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Devices.AsNoTracking().Where(d => d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned);
        if (status is not null) query = query.Where(d => d.AuthStatus == status);
        var total = await query.CountAsync(ct);
        // Newest first: the device someone just switched on is the one an operator looks for.
        var devices = await query.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Id).Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct);
        var ids = devices.Select(d => d.Id).ToList();
        var sets = await db.MenderAuthSets.AsNoTracking().Where(s => ids.Contains(s.DeviceId)).OrderBy(s => s.CreatedAt).ToListAsync(ct);
        var byDevice = sets.ToLookup(s => s.DeviceId);
        return ([.. devices.Select(d => new MenderDeviceView(d, [.. byDevice[d.Id]]))], total);
    }

    public async Task<int> CountAsync(string? status, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Devices.Where(d => d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned);
        if (status is not null) query = query.Where(d => d.AuthStatus == status);
        return await query.CountAsync(ct);
    }

    public async Task<MenderDeviceView> GetAsync(string deviceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deviceId && d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned, ct)
            ?? throw new NotFoundException("Device", deviceId);
        var sets = await db.MenderAuthSets.AsNoTracking().Where(s => s.DeviceId == deviceId).OrderBy(s => s.CreatedAt).ToListAsync(ct);
        return new MenderDeviceView(device, sets);
    }

    /// <summary>
    /// Accepts, rejects or returns to pending one auth set. Accepting a set rejects any other
    /// accepted set of the device (one key at a time); the device is as admitted as its best set.
    /// </summary>
    public async Task SetAuthSetStatusAsync(string deviceId, string authSetId, string status, string actor, CancellationToken ct = default)
    {
        var action = status == MenderAuthStatuses.Accepted ? AuditActions.DeviceAccept : status == MenderAuthStatuses.Rejected ? AuditActions.DeviceReject : "device." + status;
        audit.Attempt(action, AuditTargets.Device, deviceId);
        if (!MenderAuthStatuses.Settable.Contains(status)) throw new ValidationException("status", $"invalid status '{status}': use accepted, rejected or pending");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId && d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned, ct)
            ?? throw new NotFoundException("Device", deviceId);
        var sets = await db.MenderAuthSets.Where(s => s.DeviceId == deviceId).ToListAsync(ct);
        var set = sets.FirstOrDefault(s => s.Id == authSetId) ?? throw new NotFoundException("Auth set", authSetId);
        if (set.Status == status) return;
        if (status == MenderAuthStatuses.Accepted)
        {
            foreach (var other in sets.Where(s => s != set && s.Status == MenderAuthStatuses.Accepted)) other.Status = MenderAuthStatuses.Rejected;
        }
        set.Status = status;
        var before = device.AuthStatus;
        device.AuthStatus = sets.Any(s => s.Status == MenderAuthStatuses.Accepted) ? MenderAuthStatuses.Accepted
            : sets.Any(s => s.Status == MenderAuthStatuses.Pending) ? MenderAuthStatuses.Pending
            : MenderAuthStatuses.Rejected;
        device.UpdatedAt = Now;
        if (before != device.AuthStatus)
        {
            db.Timeline.Add(DeviceEntry(device, device.AuthStatus == MenderAuthStatuses.Accepted ? TimelineStatuses.Succeeded : TimelineStatuses.Info,
                $"Mender device {device.Hostname} {device.AuthStatus}", Now, actor));
        }
        audit.Add(db, action, AuditTargets.Device, deviceId, $"{device.Hostname}: auth set {authSetId} {status}.");
        await db.SaveChangesAsync(ct);
        _acceptedUntil.TryRemove(deviceId, out _);
    }

    public async Task DeleteAuthSetAsync(string deviceId, string authSetId, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.DeviceAuthDelete, AuditTargets.Device, deviceId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId && d.AuthStatus != null, ct) ?? throw new NotFoundException("Device", deviceId);
        var sets = await db.MenderAuthSets.Where(s => s.DeviceId == deviceId).ToListAsync(ct);
        var set = sets.FirstOrDefault(s => s.Id == authSetId) ?? throw new NotFoundException("Auth set", authSetId);
        db.MenderAuthSets.Remove(set);
        sets.Remove(set);
        device.AuthStatus = sets.Any(s => s.Status == MenderAuthStatuses.Accepted) ? MenderAuthStatuses.Accepted
            : sets.Any(s => s.Status == MenderAuthStatuses.Pending) ? MenderAuthStatuses.Pending
            : sets.Count > 0 ? MenderAuthStatuses.Rejected : "noauth";
        audit.Add(db, AuditActions.DeviceAuthDelete, AuditTargets.Device, deviceId, $"{device.Hostname}: auth set {authSetId} deleted.");
        await db.SaveChangesAsync(ct);
        _acceptedUntil.TryRemove(deviceId, out _);
    }

    /// <summary>
    /// Removes the device from Mender: its tokens stop working and its auth requests are refused.
    /// The fleet row stays (inactive) so history that names it still resolves.
    /// </summary>
    public async Task DecommissionAsync(string deviceId, string actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.DeviceDecommission, AuditTargets.Device, deviceId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId && d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned, ct)
            ?? throw new NotFoundException("Device", deviceId);
        device.AuthStatus = MenderAuthStatuses.Decommissioned;
        device.State = DeviceStates.Inactive;
        device.UpdatedAt = Now;
        await db.MenderAuthSets.Where(s => s.DeviceId == deviceId).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, MenderAuthStatuses.Rejected), ct);
        db.Timeline.Add(DeviceEntry(device, TimelineStatuses.Canceled, $"Mender device {device.Hostname} decommissioned", Now, actor));
        audit.Add(db, AuditActions.DeviceDecommission, AuditTargets.Device, deviceId, $"{device.Hostname} decommissioned.");
        await db.SaveChangesAsync(ct);
        _acceptedUntil.TryRemove(deviceId, out _);
    }

    private async Task<Device> NewDeviceAsync(DashboardDbContext db, string identity, Dictionary<string, JsonElement> attributes, DateTime now, CancellationToken ct)
    {
        if (!await db.Projects.AnyAsync(p => p.Id == ProjectId, ct))
        {
            db.Projects.Add(new Project { Id = ProjectId, Name = "Mender devices", Slug = "mender", CreatedAt = now });
        }
        var id = Guid.NewGuid().ToString();
        var hostname = HostnameFrom(attributes);
        if (await db.Devices.AnyAsync(d => d.ProjectId == ProjectId && d.Hostname == hostname, ct)) hostname = $"{hostname}-{id[..8]}";
        var device = new Device
        {
            Id = id,
            ProjectId = ProjectId,
            Hostname = hostname,
            State = DeviceStates.Active,
            AuthStatus = MenderAuthStatuses.Pending,
            IdentityData = identity,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Devices.Add(device);
        foreach (var (name, value) in attributes)
        {
            db.DeviceAttributes.Add(new DeviceAttribute { DeviceId = id, Scope = AttributeScopes.Identity, Name = name, Value = value.GetRawText(), UpdatedAt = now });
        }
        return device;
    }

    private static string HostnameFrom(Dictionary<string, JsonElement> identity)
    {
        var first = identity.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.ValueKind == JsonValueKind.Array ? kv.Value[0].GetString() : kv.Value.GetString()).FirstOrDefault() ?? "device";
        var cleaned = NotHostnameChars().Replace(first.ToLowerInvariant(), "-").Trim('-');
        return "mender-" + (cleaned.Length == 0 ? "device" : cleaned[..Math.Min(cleaned.Length, 200)]);
    }

    [GeneratedRegex("[^a-z0-9.-]+")]
    private static partial Regex NotHostnameChars();

    /// <summary>
    /// Reads the auth request: <c>id_data</c> is a string holding a JSON object (values strings or
    /// arrays of strings), <c>pubkey</c> a PEM public key. Returns the identity in canonical form.
    /// </summary>
    internal static (string Identity, Dictionary<string, JsonElement> Attributes, string PublicKey) ParseAuthRequest(ReadOnlyMemory<byte> body)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(body).RootElement; }
        catch (JsonException) { throw new ValidationException("body", "failed to decode auth request: the body is not valid JSON"); }
        if (root.ValueKind != JsonValueKind.Object) throw new ValidationException("body", "failed to decode auth request: the body must be a JSON object");
        if (!root.TryGetProperty("id_data", out var idData) || idData.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(idData.GetString()))
            throw new ValidationException("id_data", "id_data: cannot be blank");
        if (!root.TryGetProperty("pubkey", out var pubkey) || pubkey.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(pubkey.GetString()))
            throw new ValidationException("pubkey", "pubkey: cannot be blank");

        Dictionary<string, JsonElement> attributes;
        try
        {
            using var identityDocument = JsonDocument.Parse(idData.GetString()!);
            if (identityDocument.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException();
            attributes = identityDocument.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        catch (JsonException) { throw new ValidationException("id_data", "id_data: must be a JSON object"); }
        if (attributes.Count == 0) throw new ValidationException("id_data", "id_data: must name at least one attribute");
        if (attributes.Values.Any(v => !(v.ValueKind == JsonValueKind.String || (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)))))
            throw new ValidationException("id_data", "id_data: every value must be a string or an array of strings");

        var canonical = JsonSerializer.Serialize(new SortedDictionary<string, JsonElement>(attributes, StringComparer.Ordinal));
        string key;
        try { key = DeviceSignatures.Normalize(pubkey.GetString()!); }
        catch (ArgumentException ex) { throw new ValidationException("pubkey", "pubkey: " + ex.Message); }
        return (canonical, attributes, key);
    }

    internal static TimelineEntry DeviceEntry(Device device, string status, string title, DateTime now, string? actor = null) => new()
    {
        Source = TimelineSources.Rollouts,
        SubjectType = SubjectKinds.Device,
        SubjectId = device.Id,
        Status = status,
        Title = title,
        Hosts = [device.Hostname],
        Actor = actor,
        OccurredAt = now,
    };
}
