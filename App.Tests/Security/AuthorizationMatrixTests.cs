using System.Net;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Security;

/// <summary>Who may call an endpoint, as documented (README "Pages and endpoints", docs/ARCHITECTURE.md "Auth").</summary>
public enum Access
{
    /// <summary>Open: the answer does not depend on who asks (sign-in forms, health, docs, device admission, the circuit).</summary>
    Anyone,
    /// <summary>An API token granting <see cref="Rule.Scope"/> (<c>ApiScopes.Grants</c>); cookies and device tokens are not tokens.</summary>
    Token,
    /// <summary>A Mender device token of an accepted device.</summary>
    Device,
    /// <summary>The live timeline hub: a token granting read or kiosk.</summary>
    Hub,
    /// <summary>A page: a signed-in person of any role; kiosk screens are sent to /denied, everyone else to /login.</summary>
    Person,
    /// <summary>A page for people who act (the operator or admin role): the wizards.</summary>
    Operator,
    /// <summary>A page (or the Hangfire dashboard) for people with the admin role.</summary>
    Admin,
}

public sealed record Rule(string Method, string Pattern, Access Access, string? Scope = null)
{
    public string Key => $"{Method} {Pattern}";
}

/// <summary>
/// Every mapped endpoint of every family, with no token, a bad token, a token of each scope, a
/// device token, a kiosk screen and a person of each role, against the table below. An endpoint
/// without a row fails the test (the message prints the rows to add), and so does a row whose
/// endpoint is gone.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private const string Read = ApiScopes.Read, Changes = ApiScopes.ChangesWrite, Batches = ApiScopes.BatchesWrite,
        Rollouts = ApiScopes.RolloutsWrite, Deployments = ApiScopes.DeploymentsWrite, AdminScope = ApiScopes.Admin;

    public static readonly Rule[] Table =
    [
        new("GET", "/", Access.Person),
        new("POST", "/", Access.Person),
        new("*", "/_blazor", Access.Anyone),
        new("*", "/_blazor/disconnect", Access.Anyone),
        new("*", "/_blazor/initializers", Access.Anyone),
        new("*", "/_blazor/negotiate", Access.Anyone),
        new("GET", "/_framework/opaque-redirect", Access.Anyone),
        new("POST", "/account/login", Access.Anyone),
        new("POST", "/api/canaries/allocations/{allocationId}/health", Access.Token, Deployments),
        new("PUT", "/api/canaries/allocations/{allocationId}/health", Access.Token, Deployments),
        new("GET", "/api/delivery-metrics", Access.Token, Read),
        new("POST", "/api/devices/v1/authentication/auth_requests", Access.Anyone),
        new("GET", "/api/devices/v1/deployments/device/deployments/next", Access.Device),
        new("POST", "/api/devices/v1/deployments/device/deployments/next", Access.Device),
        new("PUT", "/api/devices/v1/deployments/device/deployments/{id}/log", Access.Device),
        new("PUT", "/api/devices/v1/deployments/device/deployments/{id}/status", Access.Device),
        new("GET", "/api/devices/v1/deployments/download/artifacts/{id}", Access.Anyone),
        new("PATCH", "/api/devices/v1/inventory/device/attributes", Access.Device),
        new("PUT", "/api/devices/v1/inventory/device/attributes", Access.Device),
        new("POST", "/api/devices/v2/deployments/device/deployments/next", Access.Device),
        new("GET", "/api/management/v1/deployments/artifacts", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/artifacts/list", Access.Token, Read),
        new("DELETE", "/api/management/v1/deployments/deployments/devices/{deviceId}", Access.Token, Rollouts),
        new("POST", "/api/management/v1/deployments/deployments/statistics/list", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/limits/storage", Access.Token, Read),
        new("GET", "/api/management/v2/deployments/deployments/{id}", Access.Token, Read),
        new("GET", "/api/management/v2/inventory/filters/attributes", Access.Token, Read),
        new("POST", "/api/management/v1/deployments/artifacts", Access.Token, Rollouts),
        new("DELETE", "/api/management/v1/deployments/artifacts/{id}", Access.Token, Rollouts),
        new("GET", "/api/management/v1/deployments/artifacts/{id}", Access.Token, Read),
        new("PUT", "/api/management/v1/deployments/artifacts/{id}", Access.Token, Rollouts),
        new("GET", "/api/management/v1/deployments/artifacts/{id}/download", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/deployments", Access.Token, Read),
        new("POST", "/api/management/v1/deployments/deployments", Access.Token, Rollouts),
        new("GET", "/api/management/v1/deployments/deployments/devices/{deviceId}", Access.Token, Read),
        new("POST", "/api/management/v1/deployments/deployments/group/{name}", Access.Token, Rollouts),
        new("GET", "/api/management/v1/deployments/deployments/{id}", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/deployments/{id}/device_list", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/deployments/{id}/devices", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/deployments/{id}/devices/list", Access.Token, Read),
        new("GET", "/api/management/v1/deployments/deployments/{id}/devices/{deviceId}/log", Access.Token, Read),
        new("POST", "/api/management/v1/deployments/deployments/{id}/resume", Access.Token, Rollouts),
        new("GET", "/api/management/v1/deployments/deployments/{id}/statistics", Access.Token, Read),
        new("PUT", "/api/management/v1/deployments/deployments/{id}/status", Access.Token, Rollouts),
        new("GET", "/api/management/v1/inventory/devices", Access.Token, Read),
        new("GET", "/api/management/v1/inventory/devices/{id}", Access.Token, Read),
        new("GET", "/api/management/v1/inventory/devices/{id}/group", Access.Token, Read),
        new("PUT", "/api/management/v1/inventory/devices/{id}/group", Access.Token, Rollouts),
        new("DELETE", "/api/management/v1/inventory/devices/{id}/group/{name}", Access.Token, Rollouts),
        new("GET", "/api/management/v1/inventory/groups", Access.Token, Read),
        new("DELETE", "/api/management/v1/inventory/groups/{name}/devices", Access.Token, Rollouts),
        new("GET", "/api/management/v1/inventory/groups/{name}/devices", Access.Token, Read),
        new("PATCH", "/api/management/v1/inventory/groups/{name}/devices", Access.Token, Rollouts),
        new("POST", "/api/management/v1/useradm/auth/login", Access.Anyone),
        new("GET", "/api/management/v2/deployments/artifacts", Access.Token, Read),
        new("GET", "/api/management/v2/deployments/deployments", Access.Token, Read),
        new("POST", "/api/management/v2/deployments/deployments", Access.Token, Rollouts),
        new("GET", "/api/management/v2/devauth/devices", Access.Token, Read),
        new("GET", "/api/management/v2/devauth/devices/count", Access.Token, Read),
        new("DELETE", "/api/management/v2/devauth/devices/{id}", Access.Token, Rollouts),
        new("GET", "/api/management/v2/devauth/devices/{id}", Access.Token, Read),
        new("DELETE", "/api/management/v2/devauth/devices/{id}/auth/{aid}", Access.Token, Rollouts),
        new("PUT", "/api/management/v2/devauth/devices/{id}/auth/{aid}/status", Access.Token, Rollouts),
        new("GET", "/api/management/v2/inventory/filters", Access.Token, Read),
        new("POST", "/api/management/v2/inventory/filters", Access.Token, Rollouts),
        new("POST", "/api/management/v2/inventory/filters/search", Access.Token, Read),
        new("DELETE", "/api/management/v2/inventory/filters/{id}", Access.Token, Rollouts),
        new("GET", "/api/management/v2/inventory/filters/{id}", Access.Token, Read),
        new("GET", "/api/attention", Access.Token, Read),
        new("POST", "/api/attention/batch/{subjectId}/acknowledge", Access.Token, Batches),
        new("POST", "/api/attention/deployment/{subjectId}/acknowledge", Access.Token, Deployments),
        new("POST", "/api/attention/rollout/{subjectId}/acknowledge", Access.Token, Rollouts),
        new("GET", "/api/audit", Access.Token, AdminScope),
        new("GET", "/api/audit.csv", Access.Token, AdminScope),
        new("GET", "/api/freezes", Access.Token, Read),
        new("POST", "/api/freezes", Access.Token, AdminScope),
        new("GET", "/api/freezes/outlook", Access.Token, Read),
        new("GET", "/api/freezes/overrides", Access.Token, AdminScope),
        new("DELETE", "/api/freezes/{id:guid}", Access.Token, AdminScope),
        new("GET", "/api/freezes/{id:guid}", Access.Token, Read),
        new("GET", "/api/suspects/{kind}/{id}", Access.Token, Read),
        new("POST", "/api/suspects/{kind}/{id}/marks", Access.Token, Changes),
        new("GET", "/api/timeline", Access.Token, Read),
        new("GET", "/api/tokens", Access.Token, AdminScope),
        new("POST", "/api/tokens", Access.Token, AdminScope),
        new("DELETE", "/api/tokens/{id:int}", Access.Token, AdminScope),
        new("PUT", "/api/tokens/{id:int}/namespaces", Access.Token, AdminScope),
        new("GET", "/api/users", Access.Token, AdminScope),
        new("POST", "/api/users", Access.Token, AdminScope),
        new("GET", "/api/users/{id:int}", Access.Token, AdminScope),
        new("POST", "/api/users/{id:int}/disable", Access.Token, AdminScope),
        new("POST", "/api/users/{id:int}/enable", Access.Token, AdminScope),
        new("PUT", "/api/users/{id:int}/password", Access.Token, AdminScope),
        new("PUT", "/api/users/{id:int}/role", Access.Token, AdminScope),
        new("GET", "/api/webhooks", Access.Token, AdminScope),
        new("POST", "/api/webhooks", Access.Token, AdminScope),
        new("DELETE", "/api/webhooks/{id:guid}", Access.Token, AdminScope),
        new("GET", "/api/webhooks/{id:guid}/deliveries", Access.Token, AdminScope),
        new("POST", "/api/webhooks/{id:guid}/test", Access.Token, AdminScope),
        new("POST", "/api/webhooks/{id:guid}/secret", Access.Token, AdminScope),
        new("GET", "/attention", Access.Person),
        new("POST", "/attention", Access.Person),
        new("GET", "/audit", Access.Admin),
        new("POST", "/audit", Access.Admin),
        new("GET", "/audit/export.csv", Access.Admin),
        new("GET", "/batches", Access.Person),
        new("POST", "/batches", Access.Person),
        new("GET", "/batches/new", Access.Operator),
        new("POST", "/batches/new", Access.Operator),
        new("GET", "/batches/{Id}/detail", Access.Person),
        new("POST", "/batches/{Id}/detail", Access.Person),
        new("DELETE", "/batches/{batchId}", Access.Token, Batches),
        new("GET", "/batches/{batchId}", Access.Token, Read),
        new("GET", "/capacity", Access.Token, Read),
        new("GET", "/changes", Access.Person),
        new("POST", "/changes", Access.Person),
        new("GET", "/changes/{Id}", Access.Person),
        new("POST", "/changes/{Id}", Access.Person),
        new("POST", "/data/changes", Access.Token, Changes),
        new("POST", "/data/events/deployments/end", Access.Token, Changes),
        new("POST", "/data/events/deployments/start", Access.Token, Changes),
        new("GET", "/delivery", Access.Person),
        new("POST", "/delivery", Access.Person),
        new("GET", "/denied", Access.Anyone),
        new("GET", "/deployments", Access.Person),
        new("POST", "/deployments", Access.Person),
        new("GET", "/deployments/jobs", Access.Person),
        new("POST", "/deployments/jobs", Access.Person),
        new("GET", "/deployments/jobs/{Namespace}/{JobId}", Access.Person),
        new("POST", "/deployments/jobs/{Namespace}/{JobId}", Access.Person),
        new("GET", "/deployments/{Id}", Access.Person),
        new("POST", "/deployments/{Id}", Access.Person),
        new("GET", "/devices/{deviceId}", Access.Token, Read),
        new("GET", "/docs/favicon.svg", Access.Anyone),
        new("GET", "/docs/scalar.aspnetcore.js", Access.Anyone),
        new("GET", "/docs/scalar.js", Access.Anyone),
        new("GET", "/docs/{documentName?}", Access.Anyone),
        new("GET", "/error", Access.Anyone),
        new("POST", "/error", Access.Anyone),
        new("GET", "/facilities", Access.Token, Read),
        new("GET", "/fleet", Access.Person),
        new("POST", "/fleet", Access.Person),
        new("*", "/hangfire/{**path}", Access.Admin),
        new("*", "/healthz", Access.Anyone),
        new("*", "/hubs/timeline", Access.Hub),
        new("*", "/hubs/timeline/negotiate", Access.Hub),
        new("GET", "/kiosk", Access.Anyone),
        new("POST", "/kiosk", Access.Anyone),
        new("GET", "/kiosk/login", Access.Anyone),
        new("GET", "/login", Access.Anyone),
        new("POST", "/login", Access.Anyone),
        new("POST", "/logout", Access.Anyone),
        new("*", "/metrics", Access.Token, Read),
        new("GET", "/not-found", Access.Anyone),
        new("POST", "/not-found", Access.Anyone),
        new("GET", "/openapi/{documentName}.json", Access.Anyone),
        new("GET", "/operating-systems", Access.Token, Read),
        new("GET", "/plans", Access.Token, Read),
        new("GET", "/projects/{projectId}/batches", Access.Token, Read),
        new("GET", "/projects/{projectId}/devices", Access.Token, Read),
        new("POST", "/projects/{projectId}/devices/batch", Access.Token, Batches),
        new("GET", "/rollouts", Access.Person),
        new("POST", "/rollouts", Access.Person),
        new("GET", "/rollouts/artifacts", Access.Person),
        new("POST", "/rollouts/artifacts", Access.Person),
        new("GET", "/rollouts/filters", Access.Person),
        new("POST", "/rollouts/filters", Access.Person),
        new("GET", "/rollouts/new", Access.Operator),
        new("POST", "/rollouts/new", Access.Operator),
        new("GET", "/rollouts/{Id}", Access.Person),
        new("POST", "/rollouts/{Id}", Access.Person),
        new("GET", "/settings/freezes", Access.Admin),
        new("POST", "/settings/freezes", Access.Admin),
        new("GET", "/settings/tokens", Access.Admin),
        new("POST", "/settings/tokens", Access.Admin),
        new("GET", "/settings/webhooks", Access.Admin),
        new("POST", "/settings/webhooks", Access.Admin),
        new("GET", "/settings/users", Access.Admin),
        new("POST", "/settings/users", Access.Admin),
        new("GET", "/system", Access.Admin),
        new("POST", "/system", Access.Admin),
        new("GET", "/timeline", Access.Person),
        new("POST", "/timeline", Access.Person),
        new("POST", "/v1/deployment/allocation-health/{deploymentId}", Access.Token, Deployments),
        new("PUT", "/v1/deployment/allocation-health/{deploymentId}", Access.Token, Deployments),
        new("GET", "/v1/deployment/allocations/{deploymentId}", Access.Token, Read),
        new("POST", "/v1/deployment/fail/{deploymentId}", Access.Token, Deployments),
        new("PUT", "/v1/deployment/fail/{deploymentId}", Access.Token, Deployments),
        new("POST", "/v1/deployment/pause/{deploymentId}", Access.Token, Deployments),
        new("PUT", "/v1/deployment/pause/{deploymentId}", Access.Token, Deployments),
        new("POST", "/v1/deployment/promote/{deploymentId}", Access.Token, Deployments),
        new("PUT", "/v1/deployment/promote/{deploymentId}", Access.Token, Deployments),
        new("POST", "/v1/deployment/unblock/{deploymentId}", Access.Token, Deployments),
        new("PUT", "/v1/deployment/unblock/{deploymentId}", Access.Token, Deployments),
        new("GET", "/v1/deployment/{deploymentId}", Access.Token, Read),
        new("GET", "/v1/deployments", Access.Token, Read),
        new("DELETE", "/v1/job/{jobId}", Access.Token, Deployments),
        new("GET", "/v1/job/{jobId}", Access.Token, Read),
        new("POST", "/v1/job/{jobId}", Access.Token, Deployments),
        new("PUT", "/v1/job/{jobId}", Access.Token, Deployments),
        new("GET", "/v1/job/{jobId}/allocations", Access.Token, Read),
        new("GET", "/v1/job/{jobId}/deployment", Access.Token, Read),
        new("GET", "/v1/job/{jobId}/deployments", Access.Token, Read),
        new("POST", "/v1/job/{jobId}/revert", Access.Token, Deployments),
        new("PUT", "/v1/job/{jobId}/revert", Access.Token, Deployments),
        new("GET", "/v1/job/{jobId}/versions", Access.Token, Read),
        new("GET", "/v1/jobs", Access.Token, Read),
        new("POST", "/v1/jobs", Access.Token, Deployments),
        new("PUT", "/v1/jobs", Access.Token, Deployments),
        new("GET", "/{**path:file}", Access.Person),
    ];

    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;
    private readonly List<Caller> _callers = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Who calls: its header or cookie, and what it holds.</summary>
    private sealed record Caller(string Name, string? Bearer = null, string? Cookie = null, string? Scope = null, string? Role = null, bool Kiosk = false, bool Device = false)
    {
        public bool HoldsToken => Scope is not null;
    }

    public async ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path).Start();
        var tokens = _app.Service<TokenService>();
        _callers.Add(new Caller("no credentials"));
        _callers.Add(new Caller("a bad token", Bearer: "dsh_not-a-real-token-0000000000000000"));
        foreach (var scope in ApiScopes.All)
            _callers.Add(new Caller($"a '{scope}' token", Bearer: (await tokens.CreateAsync("matrix " + scope, [scope], "test", ct: Ct)).Secret, Scope: scope));

        using var device = new MenderTestDevice(_app.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(_app, device);
        _callers.Add(new Caller("a device token", Bearer: device.Token, Device: true));

        var kiosk = (await tokens.CreateAsync("matrix kiosk screen", [ApiScopes.Kiosk], "test", ct: Ct)).Secret;
        _callers.Add(new Caller("a kiosk screen", Cookie: await CookieAsync(c => c.GetAsync($"/kiosk/login?token={Uri.EscapeDataString(kiosk)}", Ct)), Kiosk: true));

        // One person per role (roles from Data/Auth/Roles); each is a row of the matrix.
        foreach (var role in new[] { Roles.Admin, Roles.Operator, Roles.Viewer })
        {
            var name = "matrix-" + role;
            await using (var db = await _app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct))
            {
                db.Users.Add(new User { UserName = name, PasswordHash = PasswordHasher.Hash("pw-" + role), Role = role, CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync(Ct);
            }
            _callers.Add(new Caller($"a signed-in {role}", Cookie: await CookieAsync(async c =>
            {
                await SignIn.AsAsync(c, name, "pw-" + role, Ct);
                return new HttpResponseMessage();
            }), Role: role));
        }
    }

    /// <summary>Runs <paramref name="signIn"/> on a cookie-keeping client and returns the cookies it ended with, as a header.</summary>
    private async Task<string> CookieAsync(Func<HttpClient, Task<HttpResponseMessage>> signIn)
    {
        var jar = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        using (await signIn(client)) { }
        var header = jar.GetCookieHeader(_app.BaseAddress);
        Assert.Contains("dashboard.auth=", header, StringComparison.Ordinal);
        return header;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task EveryEndpoint_AnswersEveryCaller_AsDocumented()
    {
        var endpoints = EndpointCatalog.All(_app);
        var rules = Table.ToDictionary(r => r.Key);
        var missing = endpoints.Where(e => !rules.ContainsKey(e.Key)).ToList();
        var stale = Table.Where(r => endpoints.All(e => e.Key != r.Key)).ToList();
        Assert.True(missing.Count == 0, "Endpoints without a row in the authorization table:\n" +
            string.Join("\n", missing.Select(e => $"        new(\"{e.Method}\", \"{e.Pattern}\", Access.?),")));
        Assert.True(stale.Count == 0, "Rows for endpoints that are no longer mapped: " + string.Join(", ", stale.Select(r => r.Key)));

        // Cookies are sent by hand, so a sign-out answer cannot end a caller's session half-way through.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        var wrong = new List<string>();
        var checks = 0;
        foreach (var endpoint in endpoints)
        {
            var rule = rules[endpoint.Key];
            var path = endpoint.PathWith(Filler);
            int? anonymous = null;
            foreach (var caller in _callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method == "*" ? "GET" : endpoint.Method), path);
                if (caller.Bearer is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + caller.Bearer);
                if (caller.Cookie is not null) request.Headers.TryAddWithoutValidation("Cookie", caller.Cookie);
                if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Delete) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request, Ct);
                var status = (int)response.StatusCode;
                var location = response.Headers.Location?.OriginalString ?? "";
                anonymous ??= status;
                checks++;
                var problem = status >= 500 ? "a server error" : Judge(rule, caller, status, location, anonymous.Value);
                if (problem is not null) wrong.Add($"{endpoint.Key} as {caller.Name}: {status} {location} ({problem})");
            }
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {checks} answers differ from the table:\n" + string.Join("\n", wrong));
        Assert.True(checks >= endpoints.Count * _callers.Count);
    }

    /// <summary>Null when the answer is the documented one, else what was expected.</summary>
    private static string? Judge(Rule rule, Caller caller, int status, string location, int anonymous)
    {
        var denied = status is 401 or 403 || (status == 302 && (location.Contains("/login", StringComparison.Ordinal) || location.Contains("/denied", StringComparison.Ordinal)));
        bool Grants(params string[] scopes) => caller.Scope is { } held && scopes.Any(s => ApiScopes.Grants([held], s));
        // Nomad answers a missing or unknown token as the real agent does: 403 "Permission denied", never 401.
        var nomad = rule.Pattern.StartsWith("/v1/", StringComparison.Ordinal) || rule.Pattern.StartsWith("/api/canaries/", StringComparison.Ordinal);
        var unauthenticated = nomad ? 403 : 401;
        switch (rule.Access)
        {
            case Access.Anyone:
                return status == anonymous ? null : $"expected the same answer as without credentials ({anonymous})";
            case Access.Token:
                if (Grants(rule.Scope!)) return denied ? $"a token granting {rule.Scope} is let in" : null;
                return status == (caller.HoldsToken ? 403 : unauthenticated) ? null : $"expected {(caller.HoldsToken ? 403 : unauthenticated)}";
            case Access.Hub:
                if (Grants(ApiScopes.Read, ApiScopes.Kiosk)) return denied ? "read and kiosk tokens are let in" : null;
                return status == (caller.HoldsToken ? 403 : 401) ? null : $"expected {(caller.HoldsToken ? 403 : 401)}";
            case Access.Device:
                if (caller.Device) return denied ? "the device is let in" : null;
                return status == 401 ? null : "expected 401";
            case Access.Person or Access.Operator or Access.Admin:
                if (caller.Kiosk) return status == 302 && location.Contains("/denied", StringComparison.Ordinal) ? null : "a kiosk screen is sent to /denied";
                if (caller.Role is null) return status == 302 && location.Contains("/login", StringComparison.Ordinal) ? null : "expected the way to /login";
                var allowed = rule.Access == Access.Person || caller.Role == Roles.Admin || (rule.Access == Access.Operator && caller.Role == Roles.Operator);
                if (allowed) return denied ? $"a signed-in {caller.Role} is let in" : null;
                return status == 302 && location.Contains("/denied", StringComparison.Ordinal) ? null : $"a signed-in {caller.Role} is sent to /denied";
            default:
                return "no rule";
        }
    }

    /// <summary>Ids that exist nowhere, in the shape the route wants, so an allowed call is a harmless 4xx.</summary>
    private static string Filler(RoutePatternParameterPart parameter) =>
        parameter.IsCatchAll ? "" : parameter.ParameterPolicies.Any(p => p.Content is "int" or "long") ? "987654" : "00000000-0000-0000-0000-00000000abcd";
}
