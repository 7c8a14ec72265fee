using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.App.Api;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Dashboard.App.Tests.Api;

/// <summary>
/// The one error mapping, on the real app: every API family answers a failure in its own format
/// with its own status codes, and no API request ever gets the dashboard's HTML.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ApiErrorsTests(AppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Families => [.. FaultEndpoints.Families.Keys];

    [Theory]
    [MemberData(nameof(Families))]
    public async Task UnexpectedException_Answers500InTheFamilysFormat_WithTheRequestIdAndNoDetail(string family)
    {
        using var client = fixture.App.ApiClient();

        using var response = await client.GetAsync(FaultEndpoints.PathFor(family, "unexpected"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await FamilyErrorAsync(family, response);
        Assert.Contains("unexpected error", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FaultEndpoints.Secret, error.Raw, StringComparison.Ordinal);
        Assert.Contains($"request id {error.RequestId}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnexpectedException_IsLoggedOnce_WithTheRequestIdTheClientSees()
    {
        using var client = fixture.App.ApiClient();
        var requestId = "log-once-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, FaultEndpoints.PathFor("mender", "unexpected"));
        request.Headers.Add(MenderRequestId.Header, requestId);
        int Logged() => fixture.App.Logs.Entries.Count(e => e.Exception?.Message == FaultEndpoints.Secret);
        var before = Logged();

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(before + 1, Logged());
        var entry = Assert.Single(fixture.App.Logs.Entries, e => e.Message.Contains(requestId, StringComparison.Ordinal));
        Assert.Equal(FaultEndpoints.Secret, entry.Exception?.Message);
    }

    [Fact]
    public async Task ExpectedFailures_AreNotLoggedAsErrors()
    {
        using var client = fixture.App.ApiClient();
        var before = fixture.App.Logs.Entries.Count;

        using var response = await client.GetAsync(FaultEndpoints.PathFor("packet", "conflict"), Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(before, fixture.App.Logs.Entries.Count);
    }

    public static TheoryData<string, string, int> Mappings => new()
    {
        { "packet", "validation", 422 }, { "packet", "not-found", 404 }, { "packet", "conflict", 409 }, { "packet", "concurrency", 409 }, { "packet", "too-large", 413 },
        { "bigpanda", "validation", 400 }, { "bigpanda", "not-found", 404 }, { "bigpanda", "conflict", 409 }, { "bigpanda", "concurrency", 409 }, { "bigpanda", "too-large", 413 },
        { "mender", "validation", 400 }, { "mender", "not-found", 404 }, { "mender", "conflict", 409 }, { "mender", "concurrency", 409 }, { "mender", "too-large", 413 },
        { "nomad", "validation", 400 }, { "nomad", "not-found", 404 }, { "nomad", "conflict", 409 }, { "nomad", "concurrency", 409 }, { "nomad", "too-large", 413 },
        { "dashboard", "validation", 400 }, { "dashboard", "not-found", 404 }, { "dashboard", "conflict", 409 }, { "dashboard", "concurrency", 409 }, { "dashboard", "too-large", 413 },
    };

    public static TheoryData<string, string> Overloads => new()
    {
        { "packet", "db-too-many-clients" }, { "bigpanda", "db-too-many-clients" }, { "mender", "db-pool-exhausted" },
        { "nomad", "db-busy" }, { "dashboard", "db-too-many-clients" }, { "dashboard", "db-pool-exhausted" }, { "dashboard", "db-busy" },
    };

    [Theory]
    [MemberData(nameof(Overloads))]
    public async Task DatabaseRefusingMoreWork_Answers503WithRetryAfter_InTheFamilysFormat_NotA500(string family, string kind)
    {
        using var client = fixture.App.ApiClient();

        using var response = await client.GetAsync(FaultEndpoints.PathFor(family, kind), Ct);

        Assert.Equal(503, (int)response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(ApiExceptionHandler.OverloadedMessage, (await FamilyErrorAsync(family, response)).Message);
    }

    [Theory]
    [MemberData(nameof(Mappings))]
    public async Task DomainFailures_MapToTheFamilysStatusCodes_InItsFormat(string family, string kind, int status)
    {
        using var client = fixture.App.ApiClient();

        using var response = await client.GetAsync(FaultEndpoints.PathFor(family, kind), Ct);

        Assert.Equal(status, (int)response.StatusCode);
        var error = await FamilyErrorAsync(family, response);
        var expected = kind switch
        {
            "validation" => "name must not be empty.",
            "not-found" => "Thing 't-404' was not found.",
            "conflict" => "The thing is already finished.",
            "concurrency" => ApiExceptionHandler.ConcurrencyMessage,
            _ => "Request body too large.",
        };
        Assert.Equal(expected, error.Message);
        if (family is "bigpanda" or "dashboard" && kind == "validation") Assert.Equal("name", error.Field);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task MalformedJsonBody_IsAValidationFailure_InTheFamilysFormat(string family)
    {
        using var client = fixture.App.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, FaultEndpoints.PathFor(family, "json"))
        {
            Content = new StringContent("""{"Name":"x","Count":""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(family == "packet" ? 422 : 400, (int)response.StatusCode);
        var error = await FamilyErrorAsync(family, response);
        Assert.StartsWith("The request body is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealRoute_AQueryParameterThatDoesNotBind_Answers400InTheDashboardsFormat()
    {
        using var client = fixture.App.ApiClient();

        using var response = await client.GetAsync("/api/timeline?limit=lots", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await FamilyErrorAsync("dashboard", response);
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealRoute_AnOptionalBoolThatDoesNotParse_Answers400WithTheBindersReason_InMendersFormat()
    {
        using var client = fixture.App.ApiClient();

        using var response = await client.GetAsync("/api/management/v1/inventory/devices?has_group=maybe", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await FamilyErrorAsync("mender", response);
        Assert.Equal("Failed to bind parameter \"bool? has_group\" from \"maybe\".", error.Message);
    }

    [Fact]
    public async Task Mender_EchoesTheCallersRequestId_InTheHeaderAndTheBody()
    {
        using var client = fixture.App.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, FaultEndpoints.PathFor("mender", "not-found"));
        request.Headers.Add(MenderRequestId.Header, "caller-chosen-id-42");

        using var response = await client.SendAsync(request, Ct);

        var error = await FamilyErrorAsync("mender", response);
        Assert.Equal("caller-chosen-id-42", error.RequestId);
    }

    [Fact]
    public async Task Mender_GeneratesARequestId_WhenTheCallerSentNone()
    {
        using var client = fixture.App.ApiClient();

        using var first = await client.GetAsync(FaultEndpoints.PathFor("mender", "unexpected"), Ct);
        using var second = await client.GetAsync(FaultEndpoints.PathFor("mender", "unexpected"), Ct);

        var one = await FamilyErrorAsync("mender", first);
        var two = await FamilyErrorAsync("mender", second);
        Assert.True(Guid.TryParse(one.RequestId, out _), one.RequestId);
        Assert.NotEqual(one.RequestId, two.RequestId);
    }

    public static TheoryData<string, string, string, int> UnroutedRequests => new()
    {
        { "nomad", "GET", "/v1/no-such-endpoint", 404 },
        { "mender", "GET", "/api/devices/v1/no-such-endpoint", 404 },
        { "mender", "GET", "/api/management/v2/no-such-endpoint", 404 },
        { "dashboard", "GET", "/api/no-such-endpoint", 404 },
        { "bigpanda", "GET", "/data/no-such-endpoint", 404 },
        // Development only: MapStaticAssets' catch-all GET fallback turns a POST to any unknown path into a 405.
        { "nomad", "POST", "/v1/no-such-endpoint", 405 },
        { "packet", "GET", "/projects/p-1/no-such-endpoint", 404 },
        { "packet", "PUT", "/batches/b-1", 405 },
        { "packet", "POST", "/facilities", 405 },
        { "dashboard", "POST", "/api/timeline", 405 },
    };

    [Theory]
    [MemberData(nameof(UnroutedRequests))]
    public async Task UnknownPathOrWrongVerb_UnderAnApiFamily_AnswersInItsFormat_NotTheHtmlNotFoundPage(string family, string method, string path, int status)
    {
        using var client = fixture.App.ApiClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        await FamilyErrorAsync(family, response);
    }

    [Fact]
    public async Task UnknownPage_StillGetsTheDashboardsNotFoundPage()
    {
        using var client = fixture.App.ApiClient(token: null);

        using var response = await client.GetAsync("/no-such-page", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task NomadFormat_Answers403WithNomadsOwnWords()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await NomadErrorFormat.Instance.WriteAsync(context, StatusCodes.Status403Forbidden, "The API token does not have the scope this request needs.");

        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", context.Response.ContentType);
        Assert.Equal("Permission denied", Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
    }

    public sealed record FamilyError(string Message, string? Field, string? RequestId, string Raw);

    /// <summary>Reads an error body, asserting it has exactly the shape of <paramref name="family"/>'s anchor.</summary>
    public static async Task<FamilyError> FamilyErrorAsync(string family, HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsStringAsync(Ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.NotEqual("text/html", mediaType);
        Assert.DoesNotContain("<html", raw, StringComparison.OrdinalIgnoreCase);
        if (family == "nomad")
        {
            Assert.Equal("text/plain", mediaType);
            return new FamilyError(raw, null, null, raw);
        }

        Assert.Equal("application/json", mediaType);
        var body = JsonDocument.Parse(raw).RootElement;
        switch (family)
        {
            case "packet":
                Assert.Equal(["errors"], body.EnumerateObject().Select(p => p.Name));
                return new FamilyError(Assert.Single(body.GetProperty("errors").EnumerateArray()).GetString()!, null, null, raw);
            case "bigpanda":
                Assert.Equal("failure", body.GetProperty("status").GetString());
                return new FamilyError(body.GetProperty("error").GetString()!, Field(body), null, raw);
            case "mender":
                Assert.Equal(["error", "request_id"], body.EnumerateObject().Select(p => p.Name));
                var requestId = body.GetProperty("request_id").GetString();
                Assert.False(string.IsNullOrEmpty(requestId));
                Assert.Equal(requestId, Assert.Single(response.Headers.GetValues(MenderRequestId.Header)));
                return new FamilyError(body.GetProperty("error").GetString()!, null, requestId, raw);
            default:
                return new FamilyError(body.GetProperty("error").GetString()!, Field(body), null, raw);
        }

        static string? Field(JsonElement body) => body.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
    }
}
