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
    /// <summary>A page (or the Hangfire dashboard) for people with the admin role.</summary>
    Admin,
    /// <summary>Prometheus: a token granting read, or an allowed address (loopback here, so the same for all others).</summary>
    Metrics,
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
        // TABLE
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
        switch (rule.Access)
        {
            case Access.Anyone:
                return status == anonymous ? null : $"expected the same answer as without credentials ({anonymous})";
            case Access.Token:
                if (Grants(rule.Scope!)) return denied ? $"a token granting {rule.Scope} is let in" : null;
                return status == (caller.HoldsToken ? 403 : 401) ? null : $"expected {(caller.HoldsToken ? 403 : 401)}";
            case Access.Hub:
                if (Grants(ApiScopes.Read, ApiScopes.Kiosk)) return denied ? "read and kiosk tokens are let in" : null;
                return status == (caller.HoldsToken ? 403 : 401) ? null : $"expected {(caller.HoldsToken ? 403 : 401)}";
            case Access.Device:
                if (caller.Device) return denied ? "the device is let in" : null;
                return status == 401 ? null : "expected 401";
            case Access.Metrics:
                if (Grants(ApiScopes.Read)) return denied ? "read tokens are let in" : null;
                return status == anonymous ? null : $"expected the same answer as without credentials ({anonymous})";
            case Access.Person or Access.Admin:
                if (caller.Kiosk) return status == 302 && location.Contains("/denied", StringComparison.Ordinal) ? null : "a kiosk screen is sent to /denied";
                if (caller.Role is null) return status == 302 && location.Contains("/login", StringComparison.Ordinal) ? null : "expected the way to /login";
                var allowed = rule.Access == Access.Person || caller.Role == Roles.Admin;
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
