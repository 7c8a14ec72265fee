using System.Net;
using System.Net.Http.Headers;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Dashboard.App.Tests.Api;

/// <summary>
/// The same guarantees in Production, where pages have the <c>/error</c> re-execution that
/// Development replaces with the developer page: it must never apply to an API request.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ApiErrorsProductionTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, new Dictionary<string, string?> { [WebHostDefaults.EnvironmentKey] = Environments.Production }).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task EveryFamily_AnswersFailuresInItsFormat_NeverTheErrorPage()
    {
        Assert.True(_app.Service<IWebHostEnvironment>().IsProduction());
        using var client = _app.ApiClient();

        foreach (var family in FaultEndpoints.Families.Keys)
        {
            using var unexpected = new HttpRequestMessage(HttpMethod.Get, FaultEndpoints.PathFor(family, "unexpected"));
            unexpected.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
            using var response = await client.SendAsync(unexpected, Ct);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var error = await ApiErrorsTests.FamilyErrorAsync(family, response);
            Assert.DoesNotContain(FaultEndpoints.Secret, error.Raw, StringComparison.Ordinal);

            using var conflict = await client.GetAsync(FaultEndpoints.PathFor(family, "conflict"), Ct);
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            await ApiErrorsTests.FamilyErrorAsync(family, conflict);
        }
    }

    [Fact]
    public async Task UnroutedApiRequests_AnswerInTheFamilysFormat_WhilePagesKeepTheirNotFoundPage()
    {
        using var client = _app.ApiClient();

        using var nomad = await client.GetAsync("/v1/no-such-endpoint", Ct);
        using var packet = await client.PutAsync("/batches/b-1", null, Ct);
        using var page = await client.GetAsync("/no-such-page", Ct);

        Assert.Equal(HttpStatusCode.NotFound, nomad.StatusCode);
        await ApiErrorsTests.FamilyErrorAsync("nomad", nomad);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, packet.StatusCode);
        await ApiErrorsTests.FamilyErrorAsync("packet", packet);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }
}
