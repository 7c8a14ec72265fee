using Dashboard.App.Api;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Canaries;

namespace Dashboard.App.Tests.Canaries.Filtering;

/// <summary>
/// The part of a filter SQL decides (<see cref="DeploymentFilter.Narrowing"/>) against the whole filter
/// in memory, on a real SQLite file: the same deployments, pages and next tokens for every expression,
/// forwards and in reverse, paged and not, in one namespace and across all of them.
/// </summary>
public sealed class FilterNarrowingTests(FilterNarrowingTests.Seeded seeded) : IClassFixture<FilterNarrowingTests.Seeded>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string KnownId = "0a1b2c3d-0000-4000-8000-000000000017";

    public static TheoryData<string, bool> Expressions => new()
    {
        // expression, whether SQL takes part
        { "JobID == \"job-c\"", true },
        { "JobID != \"job-c\"", true },
        { "Status == \"failed\" and JobID == \"job-b\"", true },
        { "Status == \"failed\" or JobID == \"job-b\"", true },
        { "not (Status == \"running\")", true },
        { "not (Status == \"running\" or JobID == \"job-a\")", true },
        { "\"-c\" in JobID", true },
        { "JobID contains \"-b\"", true },
        { "JobID not contains \"-b\"", true },
        { "\"\" in JobID", false },
        { "StatusDescription is empty", true },
        { "StatusDescription is not empty and Namespace == \"other\"", true },
        { "ID == \"" + KnownId + "\"", true },
        { "JobVersion == 2", true },
        { "JobVersion != 2 and not (JobID == \"job-a\")", true },
        { "CreateIndex == 130 or ModifyIndex == 207", true },
        { "ModifyIndex == 18446744073709551615", true },
        { "JobVersion == \"0x1\"", true },
        // Partly in memory: the SQL part narrows, memory decides the rest.
        { "Status matches \"^fail\" and JobID == \"job-a\"", true },
        { "TaskGroups.web.Promoted == true and JobID == \"job-d\"", true },
        { "not (TaskGroups.web.Promoted == true and JobID == \"job-d\")", false },
        { "not (TaskGroups.web.Promoted == true or Status == \"failed\")", true },
        { "(any TaskGroups as _, g { g.Promoted == true }) and Status != \"running\"", true },
        { "Status matches \"^fail\" or JobID == \"job-a\"", false },
        { "TaskGroups.web.HealthyAllocs == 3", false },
    };

    [Theory]
    [MemberData(nameof(Expressions))]
    public async Task SqlAndMemory_AnswerTheSame_PageByPage(string expression, bool pushed)
    {
        var deployments = seeded.Services.Get<DeploymentService>();
        var narrowed = NomadFilters.Deployments(expression)!;
        var inMemory = NomadFilters.Deployments(expression, narrow: false)!;
        Assert.Equal(pushed, narrowed.Narrowing is not null);
        Assert.Null(inMemory.Narrowing);

        var found = 0;
        foreach (var ns in new[] { "default", "*" })
        foreach (var reverse in new[] { false, true })
        foreach (var perPage in new[] { 0, 1, 4 })
        {
            var query = new DeploymentListQuery(ns, PerPage: perPage, Reverse: reverse);
            var expected = await PagesAsync(deployments, query, inMemory);
            Assert.Equal(expected, await PagesAsync(deployments, query, narrowed));
            found += expected.Sum(p => p.Ids.Count);
        }
        // The table is meant to match something somewhere; an expression that matches nothing proves little.
        Assert.True(found > 0 || expression.Contains("18446744073709551615", StringComparison.Ordinal), $"{expression} matched nothing");
    }

    [Theory]
    [InlineData("Foo == 1 and JobID == \"nobody\"")]
    [InlineData("JobVersion == \"abc\" and JobID == \"nobody\"")]
    [InlineData("JobID is nil and JobID == \"nobody\"")]
    [InlineData("JobVersion is empty and JobID == \"nobody\"")]
    public async Task TermThatFailsOnEveryRow_IsStillA400_WhenSqlWouldMatchNothing(string expression)
    {
        var deployments = seeded.Services.Get<DeploymentService>();
        var filter = NomadFilters.Deployments(expression)!;
        Assert.Null(filter.Narrowing);
        await Assert.ThrowsAsync<ValidationException>(() => deployments.ListAsync(new DeploymentListQuery("default"), filter, Ct));
    }

    [Fact]
    public async Task AllNamespaces_ShowOnlyTheAllowedOnes()
    {
        var deployments = seeded.Services.Get<DeploymentService>();
        var page = await deployments.ListAsync(new DeploymentListQuery("*", Allowed: ["other"]), NomadFilters.Deployments("JobID == \"job-a\""), Ct);
        Assert.NotEmpty(page.Items);
        Assert.All(page.Items, d => Assert.Equal(("other", "job-a"), (d.Namespace, d.JobId)));
        Assert.Empty((await deployments.ListAsync(new DeploymentListQuery("*", Allowed: []), null, Ct)).Items);
    }

    private sealed record Page(List<string> Ids, string? NextToken)
    {
        public bool Equals(Page? other) => other is not null && Ids.SequenceEqual(other.Ids) && NextToken == other.NextToken;

        public override int GetHashCode() => NextToken?.GetHashCode(StringComparison.Ordinal) ?? 0;

        public override string ToString() => $"[{string.Join(", ", Ids)}] next {NextToken}";
    }

    private static async Task<List<Page>> PagesAsync(DeploymentService deployments, DeploymentListQuery query, DeploymentFilter filter)
    {
        var pages = new List<Page>();
        string? token = null;
        do
        {
            var page = await deployments.ListAsync(query with { NextToken = token }, filter, Ct);
            pages.Add(new Page([.. page.Items.Select(d => d.Id)], page.NextToken));
            token = page.NextToken;
        }
        while (token is not null && pages.Count < 100);
        return pages;
    }

    /// <summary>60 finished deployments over two namespaces, five jobs, three statuses; some share a create index (ties break by id).</summary>
    public sealed class Seeded : IAsyncLifetime
    {
        public DataServices Services { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Services = await SeededAsync();

        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }

    private static async Task<DataServices> SeededAsync()
    {
        var services = await DataServices.MigratedAsync();
        await using var db = services.CreateDb();
        foreach (var ns in new[] { "default", "other" })
        foreach (var job in "abcde")
            db.CanaryJobs.Add(new CanaryJob { Namespace = ns, JobId = $"job-{job}", Name = $"job-{job}" });
        var statuses = new[] { DeploymentStatuses.Failed, DeploymentStatuses.Running, DeploymentStatuses.Successful, DeploymentStatuses.Successful };
        for (var i = 0; i < 60; i++)
        {
            var status = statuses[i % 4];
            db.CanaryDeployments.Add(new CanaryDeployment
            {
                Id = i == 17 ? KnownId : $"{i * 7919 % 65536:x4}{i:x4}-0000-4000-8000-{i:x12}",
                Namespace = i % 3 == 0 ? "other" : "default",
                JobId = $"job-{(char)('a' + i % 5)}",
                JobVersion = i % 3,
                Status = status,
                StatusDescription = i % 6 == 0 ? "" : status == DeploymentStatuses.Failed ? DeploymentDescriptions.FailedAllocations : DeploymentDescriptions.Successful,
                Active = false,
                CreateIndex = 100 + i / 2 * 2,
                ModifyIndex = 200 + i,
                TaskGroups = new() { ["web"] = new DeploymentGroupState { Promoted = i % 2 == 0, DesiredTotal = 3, HealthyAllocs = i % 4 } },
            });
        }
        await db.SaveChangesAsync(Ct);
        return services;
    }
}
