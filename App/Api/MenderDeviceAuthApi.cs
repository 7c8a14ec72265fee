using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Rollouts;

namespace Dashboard.App.Api;

/// <summary>
/// Mender device authentication (<c>/api/devices/v1/authentication</c>), the management devauth API v2
/// (<c>/api/management/v2/devauth</c>) and the management login mender-cli uses (<c>useradm</c>).
/// </summary>
public static class MenderDeviceAuthApi
{
    private const int MaxAuthRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapMenderDeviceAuthApi(this IEndpointRouteBuilder app)
    {
        var devices = app.MenderGroup("/api/devices/v1/authentication", "Mender device auth");
        devices.MapPost("/auth_requests", AuthRequestAsync).WithName("MenderAuthRequest");

        var login = app.MenderGroup("/api/management/v1/useradm", "Mender useradm");
        login.MapPost("/auth/login", LoginAsync).WithName("MenderLogin");

        var read = app.MenderGroup("/api/management/v2/devauth", "Mender devauth").RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read));
        var write = app.MenderGroup("/api/management/v2/devauth", "Mender devauth").RequireAuthorization(AuthPolicies.Scope(ApiScopes.RolloutsWrite));
        read.MapGet("/devices", ListAsync).WithName("MenderDevauthList");
        read.MapGet("/devices/count", async (string? status, MenderDeviceService service, CancellationToken ct) =>
            MenderApi.Ok(new { count = await service.CountAsync(status, ct) })).WithName("MenderDevauthCount");
        read.MapGet("/devices/{id}", async (string id, MenderDeviceService service, CancellationToken ct) =>
            MenderApi.Ok(DeviceJson(await service.GetAsync(id, ct)))).WithName("MenderDevauthGet");
        write.MapPut("/devices/{id}/auth/{aid}/status", SetStatusAsync).WithName("MenderDevauthSetStatus");
        write.MapDelete("/devices/{id}/auth/{aid}", async (string id, string aid, MenderDeviceService service, CancellationToken ct) =>
        {
            await service.DeleteAuthSetAsync(id, aid, ct);
            return Results.NoContent();
        }).WithName("MenderDevauthDeleteAuthSet");
        write.MapDelete("/devices/{id}", async (string id, HttpContext http, MenderDeviceService service, CancellationToken ct) =>
        {
            await service.DecommissionAsync(id, http.User.ActorName(), ct);
            return Results.NoContent();
        }).WithName("MenderDevauthDecommission");
        return app;
    }

    private static async Task<IResult> AuthRequestAsync(HttpContext http, MenderDeviceService service, CancellationToken ct)
    {
        // The signature covers the bytes as sent, so the body is read raw (chunked or not), never re-serialised.
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxAuthRequestBytes) return ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, "auth request too large");
            buffer.Write(chunk, 0, read);
        }
        var result = await service.AuthenticateAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.Request.Headers["X-MEN-Signature"].ToString(), ct);
        if (result.Outcome != AuthOutcome.Accepted) return ApiErrors.Result(StatusCodes.Status401Unauthorized, result.Message ?? "unauthorized");
        // The client stores the body verbatim and sends it back in a header: no newline, no quotes.
        return Results.Text(result.Token, "application/jwt", Encoding.ASCII);
    }

    private static async Task<IResult> LoginAsync(HttpContext http, SignInService signIn, TokenService tokens, CancellationToken ct)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header) ||
            !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return ApiErrors.Result(StatusCodes.Status401Unauthorized, "missing basic auth credentials");
        }
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)); }
        catch (FormatException) { return ApiErrors.Result(StatusCodes.Status401Unauthorized, "malformed basic auth credentials"); }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return ApiErrors.Result(StatusCodes.Status401Unauthorized, "malformed basic auth credentials");

        var session = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var user = await signIn.SignInAsync(decoded[..colon], decoded[(colon + 1)..], session, http.Connection.RemoteIpAddress?.ToString(), "Mender login", ct);
        if (user is null) return ApiErrors.Result(StatusCodes.Status401Unauthorized, "unauthorized");
        using var asUser = AmbientActorContext.Begin(new Actor(user.UserName, ActorKinds.Person, user.Role, SessionId: session, RemoteAddress: http.Connection.RemoteIpAddress?.ToString()));
        // mender-cli keeps the body as its token and sends it as a Bearer header: an API token of our
        // own, scoped by the person's role, so it shows (and can be revoked) under Settings.
        var scopes = user.Role == Roles.Viewer ? new[] { ApiScopes.Read } : [ApiScopes.RolloutsWrite];
        var created = await tokens.CreateAsync($"mender login {user.UserName}", scopes, user.UserName, ct: ct, auditAction: AuditActions.TokenSignIn);
        return Results.Text(created.Secret, "application/jwt", Encoding.ASCII);
    }

    private static async Task<IResult> ListAsync(HttpContext http, string? status, MenderDeviceService service, CancellationToken ct)
    {
        var (page, perPage) = MenderApi.Paging(http.Request);
        var (devices, total) = await service.ListAsync(status, page, perPage, ct);
        MenderApi.PagingHeaders(http, page, perPage, total);
        return MenderApi.Ok(devices.Select(DeviceJson));
    }

    private static async Task<IResult> SetStatusAsync(string id, string aid, HttpContext http, MenderDeviceService service, CancellationToken ct)
    {
        var body = await MenderApi.ReadJsonAsync(http.Request, "status", ct);
        if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("status", "failed to decode status data: expected an object");
        await service.SetAuthSetStatusAsync(id, aid, MenderApi.RequiredString(body, "status"), http.User.ActorName(), ct);
        return Results.NoContent();
    }

    internal static object DeviceJson(MenderDeviceView view) => new
    {
        id = view.Device.Id,
        identity_data = MenderApi.ParseValue(view.Device.IdentityData ?? "{}"),
        status = view.Device.AuthStatus,
        created_ts = view.Device.CreatedAt,
        updated_ts = view.Device.UpdatedAt,
        check_in_time = view.Device.CheckInAt,
        auth_sets = view.AuthSets.Select(s => new
        {
            id = s.Id,
            device_id = s.DeviceId,
            identity_data = MenderApi.ParseValue(s.IdentityData),
            pubkey = s.PublicKey,
            status = s.Status,
            ts = s.CreatedAt,
        }),
        decommissioning = false,
    };
}
