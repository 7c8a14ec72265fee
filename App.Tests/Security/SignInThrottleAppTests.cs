using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Security;

/// <summary>The throttle at the doors: the login form, Mender's management login and device authentication, on Kestrel with a fake clock.</summary>
[Collection(AppCollection.Name)]
public sealed class SignInThrottleAppTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly SignInThrottleTests.RecordingLockouts _lockouts = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, clock: _clock, services: s => s.AddSingleton<ISignInLockoutListener>(_lockouts)).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    private HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };

    [Fact]
    public async Task LoginForm_Answers429WithRetryAfter_AfterRepeatedWrongPasswords_AndASuccessResets()
    {
        using var client = Browser();
        var antiforgery = await SignIn.AntiforgeryAsync(client, Ct);
        for (var i = 0; i <= ThrottleRule.User.FreeFailures; i++)
        {
            using var wrong = await SignIn.PostLoginAsync(client, antiforgery, "admin", "guess " + i, Ct);
            Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        }

        // Even the right password is not checked while the name is paused.
        using var paused = await SignIn.PostLoginAsync(client, antiforgery, "admin", DashboardApp.AdminPassword, Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, paused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), paused.Headers.RetryAfter?.Delta);
        var page = await paused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Please wait 1 seconds", page, StringComparison.Ordinal);
        Assert.Contains("/login?throttled=1", page, StringComparison.Ordinal);
        Assert.DoesNotContain(paused.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("dashboard.auth", StringComparison.Ordinal)));
        var loginPage = await client.GetStringAsync("/login?throttled=1", Ct);
        Assert.Contains("data-testid=\"login-throttled\"", loginPage, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(1));
        using var right = await SignIn.PostLoginAsync(client, antiforgery, "admin", DashboardApp.AdminPassword, Ct);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.DoesNotContain("error", right.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // The failures were forgotten: one more typo is free again (a new browser: the form's token belongs to the signed-in person now).
        using var fresh = Browser();
        var freshAntiforgery = await SignIn.AntiforgeryAsync(fresh, Ct);
        using var typo = await SignIn.PostLoginAsync(fresh, freshAntiforgery, "admin", "typo", Ct);
        using var again = await SignIn.PostLoginAsync(fresh, freshAntiforgery, "admin", DashboardApp.AdminPassword, Ct);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Empty(_app.Logs.Entries);
    }

    [Fact]
    public async Task LoginForm_LocksTheNameOut_AndReportsTheLockout()
    {
        using var client = Browser();
        var antiforgery = await SignIn.AntiforgeryAsync(client, Ct);
        const string name = "nobody-lockout";
        for (var i = 0; i < ThrottleRule.User.LockoutAfter; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            using var wrong = await SignIn.PostLoginAsync(client, antiforgery, name, "guess", Ct);
            Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        }

        using var locked = await SignIn.PostLoginAsync(client, antiforgery, name, "guess", Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(ThrottleRule.User.Lockout, locked.Headers.RetryAfter?.Delta);
        Assert.Contains(_lockouts.Seen, k => k.Kind == "user" && k.Value == name);
    }

    [Fact]
    public async Task MenderLogin_Answers429InMendersFormat_AfterRepeatedWrongPasswords()
    {
        using var client = Browser();
        HttpRequestMessage Login(string password)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("mender-guess:" + password)));
            return request;
        }
        for (var i = 0; i <= ThrottleRule.User.FreeFailures; i++)
        {
            using var request = Login("wrong");
            using var wrong = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttledRequest = Login("wrong");
        using var throttled = await client.SendAsync(throttledRequest, Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter?.Delta);
        using var body = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync(Ct));
        Assert.StartsWith("Too many failed sign-in attempts", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(body.RootElement.TryGetProperty("request_id", out _));
    }

    [Fact]
    public async Task DeviceAuth_Answers429PerIdentity_AfterRepeatedBadSignatures()
    {
        using var device = new MenderTestDevice(_app.BaseAddress);
        using var other = new MenderTestDevice(_app.BaseAddress);
        var forged = Convert.ToBase64String(new byte[256]);
        for (var i = 0; i <= ThrottleRule.Device.FreeFailures; i++)
        {
            using var bad = await device.AuthenticateAsync(Ct, signature: forged);
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        using var throttled = await device.AuthenticateAsync(Ct);
        using var unaffected = await other.AuthenticateAsync(Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync(Ct));
        Assert.True(body.RootElement.TryGetProperty("request_id", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, unaffected.StatusCode); // pending, as any new device

        _clock.Advance(throttled.Headers.RetryAfter!.Delta!.Value);
        using var signed = await device.AuthenticateAsync(Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, signed.StatusCode);
        Assert.Contains("pending", await signed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
