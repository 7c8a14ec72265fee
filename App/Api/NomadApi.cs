using System.Globalization;
using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Canaries;
using Dashboard.Data.Canaries.Filtering;

namespace Dashboard.App.Api;

/// <summary>
/// Nomad's jobs and deployments API, wire-compatible, at Nomad's paths (<c>X-Nomad-Token</c> or
/// <c>Authorization: Bearer</c>). Every read is a blocking query and answers the three headers
/// Nomad's Go client reads; writes accept PUT and POST with or without a Content-Type. Errors are
/// plain text. See ../shared/reference/nomad/observed-wire.md for what the real client needs.
/// </summary>
public static class NomadApi
{
    public static IEndpointRouteBuilder MapNomadApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1")
            .WithTags("Nomad")
            .WithMetadata(NomadErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read))
            .AddEndpointFilter(MapExceptionsAsync);
        var write = AuthPolicies.Scope(ApiScopes.DeploymentsWrite);
        string[] putPost = ["PUT", "POST"];

        group.MapMethods("/jobs", putPost, RegisterAsync).RequireAuthorization(write).WithName("NomadRegisterJob");
        group.MapGet("/jobs", ListJobsAsync).WithName("NomadListJobs");
        group.MapGet("/job/{jobId}", GetJobAsync).WithName("NomadGetJob");
        group.MapMethods("/job/{jobId}", putPost, (string jobId, HttpContext http, JobService jobs, CancellationToken ct) => RegisterCoreAsync(http, jobs, ct, jobId)).RequireAuthorization(write).WithName("NomadUpdateJob");
        group.MapDelete("/job/{jobId}", StopJobAsync).RequireAuthorization(write).WithName("NomadStopJob");
        group.MapGet("/job/{jobId}/versions", JobVersionsAsync).WithName("NomadJobVersions");
        group.MapGet("/job/{jobId}/deployments", JobDeploymentsAsync).WithName("NomadJobDeployments");
        group.MapGet("/job/{jobId}/deployment", JobDeploymentAsync).WithName("NomadJobLatestDeployment");
        group.MapGet("/job/{jobId}/allocations", JobAllocationsAsync).WithName("NomadJobAllocations");
        group.MapMethods("/job/{jobId}/revert", putPost, RevertAsync).RequireAuthorization(write).WithName("NomadRevertJob");

        group.MapGet("/deployments", ListDeploymentsAsync).WithName("NomadListDeployments");
        group.MapGet("/deployment/{deploymentId}", GetDeploymentAsync).WithName("NomadGetDeployment");
        group.MapGet("/deployment/allocations/{deploymentId}", DeploymentAllocationsAsync).WithName("NomadDeploymentAllocations");
        group.MapMethods("/deployment/fail/{deploymentId}", putPost, FailAsync).RequireAuthorization(write).WithName("NomadFailDeployment");
        group.MapMethods("/deployment/pause/{deploymentId}", putPost, PauseAsync).RequireAuthorization(write).WithName("NomadPauseDeployment");
        group.MapMethods("/deployment/promote/{deploymentId}", putPost, PromoteAsync).RequireAuthorization(write).WithName("NomadPromoteDeployment");
        group.MapMethods("/deployment/allocation-health/{deploymentId}", putPost, AllocationHealthAsync).RequireAuthorization(write).WithName("NomadDeploymentAllocationHealth");
        group.MapMethods("/deployment/unblock/{deploymentId}", putPost, UnblockAsync).RequireAuthorization(write).WithName("NomadUnblockDeployment");

        // Ours, not Nomad's: a real agent (driver "external") reports what it saw of one allocation.
        app.MapMethods("/api/canaries/allocations/{allocationId}/health", putPost, ReportHealthAsync)
            .WithTags("Nomad").WithMetadata(NomadErrorFormat.Instance).AddEndpointFilter(MapExceptionsAsync)
            .RequireAuthorization(write).WithName("CanaryAgentHealth");
        return app;
    }

    // ---- jobs ---------------------------------------------------------------------------------

    private static Task<IResult> RegisterAsync(HttpContext http, JobService jobs, CancellationToken ct) => RegisterCoreAsync(http, jobs, ct, null);

    private static async Task<IResult> RegisterCoreAsync(HttpContext http, JobService jobs, CancellationToken ct, string? jobId)
    {
        var body = await NomadRequestReader.ReadBodyAsync(http.Request, ct);
        var job = NomadRequestReader.Prop(body, "Job") ?? throw new ValidationException("Job", "Job must be specified");
        var spec = NomadRequestReader.Job(job, Namespace(http));
        if (jobId is not null && spec.ID != jobId) throw new ValidationException("Job.ID", "Job ID does not match name");
        NomadAcl.Require(http, spec.Namespace, NamespacePolicy.SubmitJob);
        long? enforce = NomadRequestReader.Bool(body, "EnforceIndex", "JobRegisterRequest.EnforceIndex") == true
            ? (long)(NomadRequestReader.UInt(body, "JobModifyIndex", "JobRegisterRequest.JobModifyIndex") ?? 0) : null;
        var result = await jobs.RegisterAsync(spec, http.User.ActorName(), enforce, ct, http.FreezeOverride());
        return Write(http, new NomadJobRegisterResponse(result.EvalId, NomadJson.U(result.EvalCreateIndex), NomadJson.U(result.JobModifyIndex), "", NomadJson.U(result.Index), 0, true), result.Index);
    }

    private static Task<IResult> ListJobsAsync(HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = Namespace(http) ?? "default";
        if (ns != "*") NomadAcl.Require(http, ns, NamespacePolicy.ReadJob);
        var prefix = http.Request.Query["prefix"].ToString();
        return BlockingAsync(http, notifier, clock, w => w.JobKeys.Count > 0, async token =>
        {
            var (list, index) = await jobs.ListAsync(ns, prefix, token);
            var stubs = new List<NomadJobStub>();
            // Across namespaces, a token sees only the ones it may read, as Nomad lists "all authorized namespaces".
            foreach (var job in list.Where(j => NomadAcl.Allows(http, j.Namespace, NamespacePolicy.ReadJob))) stubs.Add(NomadJson.JobStub(job, await jobs.AllocationsAsync(job.Namespace, job.JobId, all: true, token)));
            return ((object)stubs, index);
        }, ct);
    }

    private static Task<IResult> GetJobAsync(string jobId, HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, JobRelevant(ns, jobId), async token =>
        {
            var job = await jobs.GetAsync(ns, jobId, token) ?? throw new NotFoundException("job", jobId);
            return ((object)NomadJson.Job(job.Spec, job.Job, job.Version), job.Job.ModifyIndex);
        }, ct);
    }

    private static async Task<IResult> StopJobAsync(string jobId, HttpContext http, JobService jobs, CancellationToken ct)
    {
        var result = await jobs.StopAsync(WriteNamespace(http), jobId, http.User.ActorName(), ct);
        return Write(http, new { EvalID = result.EvalId, EvalCreateIndex = NomadJson.U(result.EvalCreateIndex), JobModifyIndex = NomadJson.U(result.JobModifyIndex), Index = NomadJson.U(result.Index) }, result.Index);
    }

    private static Task<IResult> JobVersionsAsync(string jobId, HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, JobRelevant(ns, jobId), async token =>
        {
            var job = await jobs.GetAsync(ns, jobId, token) ?? throw new NotFoundException("job", jobId);
            var versions = await jobs.VersionsAsync(ns, jobId, token);
            var body = new Dictionary<string, object?>
            {
                ["Versions"] = versions.Select(v => NomadJson.Job(JobSpec.FromJson(v.SpecJson), job.Job, v)).ToList(),
                ["Diffs"] = null,
            };
            return ((object)body, job.Job.ModifyIndex);
        }, ct);
    }

    private static Task<IResult> JobDeploymentsAsync(string jobId, HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, JobRelevant(ns, jobId), async token =>
        {
            var list = await jobs.DeploymentsAsync(ns, jobId, token);
            return ((object)list.Select(NomadJson.Deployment).ToList(), list.Count == 0 ? 1 : list.Max(d => d.ModifyIndex));
        }, ct);
    }

    private static Task<IResult> JobDeploymentAsync(string jobId, HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, JobRelevant(ns, jobId), async token =>
        {
            // No deployment is a JSON null, which Nomad's client reads as "none".
            var latest = await jobs.LatestDeploymentAsync(ns, jobId, token);
            return ((object?)(latest is null ? null : NomadJson.Deployment(latest)), latest?.ModifyIndex ?? 1);
        }, ct);
    }

    private static Task<IResult> JobAllocationsAsync(string jobId, HttpContext http, JobService jobs, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var ns = ReadNamespace(http);
        var all = http.Request.Query["all"].ToString() == "true";
        return BlockingAsync(http, notifier, clock, JobRelevant(ns, jobId), async token =>
        {
            var list = await jobs.AllocationsAsync(ns, jobId, all, token);
            return ((object)list.Select(NomadJson.Allocation).ToList(), list.Count == 0 ? 1 : list.Max(a => a.ModifyIndex));
        }, ct);
    }

    private static async Task<IResult> RevertAsync(string jobId, HttpContext http, JobService jobs, CancellationToken ct)
    {
        var body = await NomadRequestReader.ReadBodyAsync(http.Request, ct);
        var bodyJob = NomadRequestReader.String(body, "JobID", "JobRevertRequest.JobID");
        if (!string.IsNullOrEmpty(bodyJob) && bodyJob != jobId) throw new ValidationException("JobID", "Job ID does not match");
        var version = NomadRequestReader.UInt(body, "JobVersion", "JobRevertRequest.JobVersion") ?? throw new ValidationException("JobVersion", "JobVersion must be specified");
        var prior = NomadRequestReader.UInt(body, "EnforcePriorVersion", "JobRevertRequest.EnforcePriorVersion");
        var result = await jobs.RevertAsync(WriteNamespace(http), jobId, (long)version, (long?)prior, http.User.ActorName(), ct);
        return Write(http, new NomadJobRegisterResponse(result.EvalId, NomadJson.U(result.EvalCreateIndex), NomadJson.U(result.JobModifyIndex), "", NomadJson.U(result.Index), 0, true), result.Index);
    }

    // ---- deployments --------------------------------------------------------------------------

    private static Task<IResult> ListDeploymentsAsync(HttpContext http, DeploymentService deployments, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var query = http.Request.Query;
        var prefix = query["prefix"].ToString();
        if (prefix.Length > 0 && (prefix.Length % 2 != 0 || !prefix.All(Uri.IsHexDigit)))
            throw new ValidationException("prefix", "prefix must have an even number of hexadecimal characters (0-9a-f)");
        var perPage = 0;
        if (query.ContainsKey("per_page") && (!int.TryParse(query["per_page"], NumberStyles.None, CultureInfo.InvariantCulture, out perPage)))
            throw new ValidationException("per_page", "Invalid per_page: must be a non-negative integer");
        var reverse = false;
        if (query.ContainsKey("reverse") && !bool.TryParse(query["reverse"], out reverse))
            throw new ValidationException("reverse", "Invalid reverse: must be true or false");
        var matches = NomadFilters.Deployments(query["filter"].ToString());
        var ns = Namespace(http) ?? "default";
        if (ns != "*") NomadAcl.Require(http, ns, NamespacePolicy.ReadJob);
        var request = new DeploymentListQuery(ns, prefix.ToLowerInvariant(), query["next_token"].ToString(), Math.Min(perPage, DeploymentService.MaxPerPage), reverse,
            Allowed: NomadAcl.Readable(http));
        return BlockingAsync(http, notifier, clock, w => w.DeploymentIds.Count > 0, async token =>
        {
            var page = await deployments.ListAsync(request, matches, token);
            if (page.NextToken is not null) http.Response.Headers["X-Nomad-NextToken"] = page.NextToken;
            else http.Response.Headers.Remove("X-Nomad-NextToken");
            return ((object)page.Items.Select(NomadJson.Deployment).ToList(), page.Index);
        }, ct);
    }

    private static Task<IResult> GetDeploymentAsync(string deploymentId, HttpContext http, DeploymentService deployments, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, w => w.DeploymentIds.Contains(deploymentId), async token =>
        {
            var d = Readable(http, await deployments.GetAsync(deploymentId, token)) ?? throw new NotFoundException("deployment", deploymentId);
            return ((object)NomadJson.Deployment(d), d.ModifyIndex);
        }, ct);
    }

    private static Task<IResult> DeploymentAllocationsAsync(string deploymentId, HttpContext http, DeploymentService deployments, CanaryIndexNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        ReadNamespace(http);
        return BlockingAsync(http, notifier, clock, w => w.DeploymentIds.Contains(deploymentId), async token =>
        {
            var d = Readable(http, await deployments.GetAsync(deploymentId, token)) ?? throw new NotFoundException("deployment", deploymentId);
            var list = await deployments.AllocationsAsync(deploymentId, token);
            return ((object)list.Select(NomadJson.Allocation).ToList(), list.Count == 0 ? d.ModifyIndex : list.Max(a => a.ModifyIndex));
        }, ct);
    }

    private static async Task<IResult> FailAsync(string deploymentId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        await WritableAsync(http, deployments, deploymentId, ct);
        // Nomad's fail builds its request from the path alone (the seed's bare `curl -X POST` works);
        // a body, when there is one, must still name the same deployment.
        if (await RawBodyAsync(http, ct) is { } raw && !IsBlank(raw)) DeploymentBody(raw, deploymentId);
        return Write(http, await deployments.FailAsync(deploymentId, http.User.ActorName(), ct));
    }

    private static async Task<IResult> PauseAsync(string deploymentId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        await WritableAsync(http, deployments, deploymentId, ct);
        var body = await RequiredDeploymentBodyAsync(http, deploymentId, ct);
        var pause = NomadRequestReader.Bool(body, "Pause", "DeploymentPauseRequest.Pause") ?? false;
        return Write(http, await deployments.PauseAsync(deploymentId, pause, http.User.ActorName(), ct));
    }

    private static async Task<IResult> PromoteAsync(string deploymentId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        await WritableAsync(http, deployments, deploymentId, ct);
        var body = await RequiredDeploymentBodyAsync(http, deploymentId, ct);
        var all = NomadRequestReader.Bool(body, "All", "DeploymentPromoteRequest.All") ?? false;
        var groups = NomadRequestReader.Strings(body, "Groups", "DeploymentPromoteRequest.Groups");
        return Write(http, await deployments.PromoteAsync(deploymentId, all, groups, http.User.ActorName(), ct));
    }

    private static async Task<IResult> AllocationHealthAsync(string deploymentId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        await WritableAsync(http, deployments, deploymentId, ct);
        var body = await RequiredDeploymentBodyAsync(http, deploymentId, ct);
        var healthy = NomadRequestReader.Strings(body, "HealthyAllocationIDs", "DeploymentAllocHealthRequest.HealthyAllocationIDs");
        var unhealthy = NomadRequestReader.Strings(body, "UnhealthyAllocationIDs", "DeploymentAllocHealthRequest.UnhealthyAllocationIDs");
        return Write(http, await deployments.SetAllocationHealthAsync(deploymentId, healthy ?? [], unhealthy ?? [], http.User.ActorName(), ct));
    }

    private static async Task<IResult> UnblockAsync(string deploymentId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        await WritableAsync(http, deployments, deploymentId, ct);
        await RequiredDeploymentBodyAsync(http, deploymentId, ct);
        return Write(http, await deployments.UnblockAsync(deploymentId, http.User.ActorName(), ct));
    }

    private static async Task<IResult> ReportHealthAsync(string allocationId, HttpContext http, DeploymentService deployments, CancellationToken ct)
    {
        // An agent's token limited to some namespaces reports only for allocations in them, as for every Nomad write.
        if (NomadAcl.Policy(http.User) is not null && await deployments.AllocationNamespaceAsync(allocationId, ct) is { } ns)
            NomadAcl.Require(http, ns, NamespacePolicy.SubmitJob);
        var body = await NomadRequestReader.ReadBodyAsync(http.Request, ct);
        var healthy = NomadRequestReader.Bool(body, "Healthy", "Healthy") ?? throw new ValidationException("Healthy", "Healthy (true or false) must be specified");
        return Write(http, await deployments.ReportAllocationHealthAsync(allocationId, healthy, http.User.ActorName(), ct));
    }

    /// <summary>
    /// The body of pause, promote, allocation-health and unblock, which Nomad's agent decodes before
    /// anything else: no body at all is a 400 "Request body is empty" (what a bare <c>curl -X POST</c>
    /// gets from Nomad), a body of only whitespace is Go's decoder's "EOF", and the body's
    /// DeploymentID must be the path's. Nothing is done on such a request.
    /// </summary>
    private static async Task<JsonElement> RequiredDeploymentBodyAsync(HttpContext http, string deploymentId, CancellationToken ct)
    {
        var text = await RawBodyAsync(http, ct) ?? throw new ValidationException("body", "Request body is empty");
        return DeploymentBody(text, deploymentId);
    }

    /// <summary>
    /// The request body, or null when the request has none: Go's server sees no body when the
    /// Content-Length is 0 or, on a request that is not chunked, absent.
    /// </summary>
    private static async Task<byte[]?> RawBodyAsync(HttpContext http, CancellationToken ct)
    {
        var request = http.Request;
        var chunked = request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase);
        if (request.ContentLength == 0 || (request.ContentLength is null && !chunked)) return null;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private static bool IsBlank(byte[] raw) => raw.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t');

    private static JsonElement DeploymentBody(byte[] text, string deploymentId)
    {
        if (IsBlank(text)) throw new ValidationException("body", "EOF");
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ValidationException("body", $"Request decode failed: {ex.Message}");
        }
        if (body.ValueKind != JsonValueKind.Object && body.ValueKind != JsonValueKind.Null)
            throw new ValidationException("body", "Request decode failed: the body must be a JSON object");
        var id = NomadRequestReader.String(body, "DeploymentID", "DeploymentID");
        if (string.IsNullOrEmpty(id)) throw new ValidationException("DeploymentID", "DeploymentID must be specified");
        if (id != deploymentId) throw new ValidationException("DeploymentID", "Deployment ID does not match");
        return body;
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private static Func<CanaryWrite, bool> JobRelevant(string ns, string jobId)
    {
        var key = CanaryWrite.JobKey(ns, jobId);
        return w => w.JobKeys.Contains(key);
    }

    /// <summary>The request's namespace, which the token must be allowed to read (Nomad checks it before it looks anything up).</summary>
    private static string ReadNamespace(HttpContext http)
    {
        var ns = Namespace(http) ?? "default";
        NomadAcl.Require(http, ns, NamespacePolicy.ReadJob);
        return ns;
    }

    private static string WriteNamespace(HttpContext http)
    {
        var ns = Namespace(http) ?? "default";
        NomadAcl.Require(http, ns, NamespacePolicy.SubmitJob);
        return ns;
    }

    /// <summary>A deployment found by id must also be in a namespace the token may read: ids are global here.</summary>
    private static CanaryDeployment? Readable(HttpContext http, CanaryDeployment? d)
    {
        if (d is not null) NomadAcl.Require(http, d.Namespace, NamespacePolicy.ReadJob);
        return d;
    }

    /// <summary>A deployment action needs submit-job in the request's namespace and in the deployment's own.</summary>
    private static async Task WritableAsync(HttpContext http, DeploymentService deployments, string deploymentId, CancellationToken ct)
    {
        WriteNamespace(http);
        if (NomadAcl.Policy(http.User) is not null && await deployments.GetAsync(deploymentId, ct) is { } d)
            NomadAcl.Require(http, d.Namespace, NamespacePolicy.SubmitJob);
    }

    private static string? Namespace(HttpContext http) =>
        http.Request.Query["namespace"].ToString() is { Length: > 0 } ns ? ns : null;

    /// <summary>Runs a read as Nomad's blocking query and answers it with the headers Nomad's client needs.</summary>
    private static async Task<IResult> BlockingAsync(HttpContext http, CanaryIndexNotifier notifier, TimeProvider clock,
        Func<CanaryWrite, bool> relevant, Func<CancellationToken, Task<(object? Value, long Index)>> query, CancellationToken ct)
    {
        var q = http.Request.Query;
        long? minIndex = null;
        if (q.ContainsKey("index"))
        {
            if (!ulong.TryParse(q["index"], NumberStyles.None, CultureInfo.InvariantCulture, out var index)) throw new ValidationException("index", "Invalid index");
            minIndex = (long)Math.Min(index, long.MaxValue);
        }
        TimeSpan? wait = null;
        if (q.ContainsKey("wait"))
            wait = GoDuration.TryParse(q["wait"].ToString(), out var parsed) && parsed >= TimeSpan.Zero ? parsed : throw new ValidationException("wait", "Invalid wait time");
        var (value, resultIndex) = await BlockingQuery.RunAsync(notifier, clock, minIndex, wait, relevant, query, ct);
        var headers = http.Response.Headers;
        headers["X-Nomad-Index"] = Math.Max(1, resultIndex).ToString(CultureInfo.InvariantCulture);
        headers["X-Nomad-LastContact"] = "0";
        headers["X-Nomad-KnownLeader"] = "true";
        // A JSON null (no deployment yet) must still be a body: Nomad's client reads it as "none".
        return value is null ? Results.Text("null", "application/json") : Results.Json(value, NomadJson.Options);
    }

    private static IResult Write(HttpContext http, DeploymentUpdate u) =>
        Write(http, new NomadDeploymentUpdateResponse(u.EvalId, NomadJson.U(u.EvalCreateIndex), NomadJson.U(u.DeploymentModifyIndex),
            u.RevertedJobVersion is { } r ? NomadJson.U(r) : null, NomadJson.U(u.Index)), u.Index);

    private static IResult Write(HttpContext http, object body, long index)
    {
        http.Response.Headers["X-Nomad-Index"] = index.ToString(CultureInfo.InvariantCulture);
        return Results.Json(body, NomadJson.Options);
    }

    /// <summary>
    /// Nomad words a missing object as "deployment not found", "job not found"; everything else
    /// (validation, conflicts, malformed JSON) is left to the one API exception handler.
    /// </summary>
    private static async ValueTask<object?> MapExceptionsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (NotFoundException ex) { return ApiErrors.Result(StatusCodes.Status404NotFound, $"{ex.What} not found"); }
        catch (PermissionDeniedException) { return ApiErrors.Result(StatusCodes.Status403Forbidden, NomadErrorFormat.PermissionDenied); }
    }
}

/// <summary>Go's <c>time.ParseDuration</c> for the <c>wait</c> parameter: <c>30000ms</c>, <c>5m</c>, <c>1m30s</c>.</summary>
public static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        if (text == "0") return true;
        var i = 0;
        double total = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (i == start || !double.TryParse(text[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.') i++;
            double? nanos = text[unitStart..i] switch
            {
                "ns" => 1, "us" or "µs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, "h" => 3600e9, _ => null,
            };
            if (nanos is null) return false;
            total += number * nanos.Value;
        }
        if (total / 100 > TimeSpan.MaxValue.Ticks) return false;
        value = TimeSpan.FromTicks((long)(total / 100));
        return true;
    }
}

/// <summary>
/// The <c>filter</c> expression (Nomad's go-bexpr language, <see cref="NomadFilter"/>), evaluated
/// against what the client receives (<see cref="NomadDeployment"/>: Nomad's field names), while paging;
/// its terms on <see cref="Columns"/> also narrow the query in SQL.
/// </summary>
public static class NomadFilters
{
    /// <summary>The fields of <see cref="NomadJson.Deployment"/> that are stored columns as they are.</summary>
    private static readonly FilterColumns<CanaryDeployment> Columns = new FilterColumns<CanaryDeployment>()
        .Text(nameof(NomadDeployment.ID), d => d.Id)
        .Text(nameof(NomadDeployment.Namespace), d => d.Namespace)
        .Text(nameof(NomadDeployment.JobID), d => d.JobId)
        .Text(nameof(NomadDeployment.Status), d => d.Status)
        .Text(nameof(NomadDeployment.StatusDescription), d => d.StatusDescription)
        .Unsigned(nameof(NomadDeployment.JobVersion), d => d.JobVersion)
        .Unsigned(nameof(NomadDeployment.JobModifyIndex), d => d.JobModifyIndex)
        .Unsigned(nameof(NomadDeployment.JobSpecModifyIndex), d => d.JobSpecModifyIndex)
        .Unsigned(nameof(NomadDeployment.JobCreateIndex), d => d.JobCreateIndex)
        .Unsigned(nameof(NomadDeployment.CreateIndex), d => d.CreateIndex)
        .Unsigned(nameof(NomadDeployment.ModifyIndex), d => d.ModifyIndex);

    private static readonly NomadDeployment Probe = NomadJson.Deployment(new CanaryDeployment { Id = "", Namespace = "", JobId = "" });

    /// <param name="narrow">False to evaluate everything in memory (what the narrowing is tested against).</param>
    public static DeploymentFilter? Deployments(string expression, bool narrow = true)
    {
        if (string.IsNullOrWhiteSpace(expression)) return null;
        NomadFilter filter;
        try
        {
            filter = NomadFilter.Parse(expression);
        }
        catch (FilterSyntaxException ex)
        {
            throw new ValidationException("filter", $"failed to read filter expression: {ex.Message}");
        }
        return new DeploymentFilter(d =>
        {
            try
            {
                return filter.Matches(NomadJson.Deployment(d));
            }
            catch (FilterEvaluationException ex)
            {
                throw new ValidationException("filter", $"failed to read result page: {ex.Message}");
            }
        }, narrow ? filter.Narrowing(Columns, Probe) : null);
    }
}
