using System.Net;
using System.Text.RegularExpressions;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Security;

/// <summary>Signs a cookie-holding HttpClient in through the real login form.</summary>
public static partial class SignIn
{
    public static async Task<string> AntiforgeryAsync(HttpClient client, CancellationToken ct)
    {
        var form = await client.GetStringAsync("/login", ct);
        return AntiforgeryField().Match(form).Groups[1].Value;
    }

    public static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string antiforgery, string user, string password, CancellationToken ct) =>
        client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = user,
            ["password"] = password,
            ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = antiforgery,
        }), ct);

    public static async Task AsAdminAsync(HttpClient client, CancellationToken ct) => await AsAsync(client, "admin", DashboardApp.AdminPassword, ct);

    public static async Task AsAsync(HttpClient client, string user, string password, CancellationToken ct)
    {
        using var response = await PostLoginAsync(client, await AntiforgeryAsync(client, ct), user, password, ct);
        Xunit.Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Xunit.Assert.DoesNotContain("error=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
