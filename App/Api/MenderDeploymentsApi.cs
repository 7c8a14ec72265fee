using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.App.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Rollouts;

namespace Dashboard.App.Api;

/// <summary>
/// Mender's deployments service: deployments for operators (management v1 and v2 create, list,
/// statistics, devices, logs, abort; plus our resume after the failure guard) and for devices
/// (<c>next</c>, status, log, and the signed artifact download link).
/// </summary>
public static partial class MenderDeploymentsApi
{
    private const string Deployments = "/api/management/v1/deployments/deployments";

    public static IEndpointRouteBuilder MapMenderDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var device = app.MenderGroup("/api/devices", "Mender device deployments").RequireDeviceToken();
        device.MapPost("/v2/deployments/device/deployments/next", async (HttpContext http, DeviceDeploymentService service, ArtifactLinks links, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "device provides", ct);
            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("device_provides", out var provides))
                throw new ValidationException("device_provides", "device_provides: cannot be blank");
            return await NextAsync(http, Provides(provides), service, links, ct);
        }).WithName("MenderNextV2");
        device.MapPost("/v1/deployments/device/deployments/next", async (HttpContext http, DeviceDeploymentService service, ArtifactLinks links, CancellationToken ct) =>
            await NextAsync(http, Provides(await MenderApi.ReadJsonAsync(http.Request, "device provides", ct)), service, links, ct)).WithName("MenderNextV1Post");
        device.MapGet("/v1/deployments/device/deployments/next", (HttpContext http, DeviceDeploymentService service, ArtifactLinks links, CancellationToken ct) =>
            NextAsync(http, http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()), service, links, ct)).WithName("MenderNextV1Get");
        device.MapPut("/v1/deployments/device/deployments/{id}/status", async (string id, HttpContext http, DeviceDeploymentService service, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "status", ct);
            if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("status", "failed to decode status: expected an object");
            await service.ReportStatusAsync(http.DeviceId(), id, MenderApi.RequiredString(body, "status"), MenderApi.OptionalString(body, "substate"), ct);
            return Results.NoContent();
        }).WithName("MenderDeviceStatus");
        device.MapPut("/v1/deployments/device/deployments/{id}/log", async (string id, HttpContext http, DeviceDeploymentService service, CancellationToken ct) =>
        {
            await service.UploadLogAsync(http.DeviceId(), id, await MenderApi.ReadJsonAsync(http.Request, "deployment log", ct), ct);
            return Results.NoContent();
        }).WithName("MenderDeviceLog");

        // The daemon fetches the artifact with no Authorization header: the signed link is the proof.
        var download = app.MenderGroup("/api/devices/v1/deployments/download", "Mender artifact download");
        download.MapGet("/artifacts/{id}", async (string id, string? expire, string? signature, ArtifactLinks links, ArtifactService artifacts, CancellationToken ct) =>
        {
            if (!links.IsValid(id, expire, signature)) return ApiErrors.Result(StatusCodes.Status403Forbidden, "the download link is not valid or has expired");
            var artifact = await artifacts.GetAsync(id, ct);
            // A real length (never chunked, never compressed) and ranges: the daemon needs both.
            return Results.File(artifacts.PathOf(artifact), "application/vnd.mender-artifact", artifact.Name + ".mender", enableRangeProcessing: true);
        }).WithName("MenderArtifactDownload");

        var read = app.MenderGroup("/api/management", "Mender deployments").RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read));
        var write = app.MenderGroup("/api/management", "Mender deployments").RequireAuthorization(AuthPolicies.Scope(ApiScopes.RolloutsWrite));
        write.MapPost("/v1/deployments/artifacts", UploadAsync).WithName("MenderUploadArtifact")
            .WithMetadata(new RequestSizeLimitAttribute(ArtifactService.MaxBytes + 1024 * 1024));
        read.MapGet("/v1/deployments/artifacts", async (ArtifactService artifacts, CancellationToken ct) =>
            MenderApi.Ok((await artifacts.ListAsync(ct)).Select(ArtifactJson))).WithName("MenderListArtifacts");
        read.MapGet("/v2/deployments/artifacts", async (HttpContext http, ArtifactService artifacts, CancellationToken ct) =>
        {
            var (page, perPage) = MenderApi.Paging(http.Request);
            var all = await artifacts.ListAsync(ct);
            var name = http.Request.Query["name"].ToString();
            if (name.Length > 0) all = [.. all.Where(a => a.Name == name)];
            MenderApi.PagingHeaders(http, page, perPage, all.Count);
            return MenderApi.Ok(all.Skip((page - 1) * perPage).Take(perPage).Select(ArtifactJson));
        }).WithName("MenderListArtifactsV2");
        read.MapGet("/v1/deployments/artifacts/{id}", async (string id, ArtifactService artifacts, CancellationToken ct) =>
            MenderApi.Ok(ArtifactJson(await artifacts.GetAsync(id, ct)))).WithName("MenderGetArtifact");
        write.MapPut("/v1/deployments/artifacts/{id}", async (string id, HttpContext http, ArtifactService artifacts, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "artifact update", ct);
            if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("body", "failed to decode artifact update: expected an object");
            await artifacts.UpdateDescriptionAsync(id, MenderApi.OptionalString(body, "description"), ct);
            return Results.NoContent();
        }).WithName("MenderEditArtifact");
        write.MapDelete("/v1/deployments/artifacts/{id}", async (string id, HttpContext http, ArtifactService artifacts, CancellationToken ct) =>
        {
            await artifacts.DeleteAsync(id, http.User.ActorName(), ct);
            return Results.NoContent();
        }).WithName("MenderDeleteArtifact");
        read.MapGet("/v1/deployments/artifacts/{id}/download", async (string id, HttpContext http, ArtifactService artifacts, ArtifactLinks links, CancellationToken ct) =>
        {
            var artifact = await artifacts.GetAsync(id, ct);
            var (path, expires) = links.Create(artifact.Id);
            return MenderApi.Ok(new { uri = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{path}", expire = expires });
        }).WithName("MenderArtifactDownloadLink");

        write.MapPost("/v1/deployments/deployments", (HttpContext http, RolloutService service, CancellationToken ct) => CreateAsync(http, service, null, ct)).WithName("MenderCreateDeployment");
        write.MapPost("/v1/deployments/deployments/group/{name}", (string name, HttpContext http, RolloutService service, CancellationToken ct) => CreateAsync(http, service, name, ct))
            .WithName("MenderCreateGroupDeployment");
        write.MapPost("/v2/deployments/deployments", (HttpContext http, RolloutService service, CancellationToken ct) => CreateAsync(http, service, null, ct)).WithName("MenderCreateDeploymentV2");
        read.MapGet("/v1/deployments/deployments", ListAsync).WithName("MenderListDeployments");
        read.MapGet("/v2/deployments/deployments", ListAsync).WithName("MenderListDeploymentsV2");
        read.MapGet("/v1/deployments/deployments/{id}", GetAsync).WithName("MenderGetDeployment");
        // Not in the v2 document, but operators (and Mender's own UI) read a deployment at the v2 path too.
        read.MapGet("/v2/deployments/deployments/{id}", GetAsync).WithName("MenderGetDeploymentV2");
        read.MapGet("/v1/deployments/deployments/{id}/statistics", async (string id, RolloutService service, CancellationToken ct) =>
            MenderApi.Ok(await service.StatisticsAsync(id, ct))).WithName("MenderDeploymentStatistics");
        write.MapPut("/v1/deployments/deployments/{id}/status", async (string id, HttpContext http, RolloutService service, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "status", ct);
            if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("status", "failed to decode status: expected an object");
            var status = MenderApi.RequiredString(body, "status");
            if (status != "aborted") throw new ValidationException("status", $"status: only \"aborted\" can be set (got \"{status}\")");
            await service.AbortAsync(id, http.User.ActorName(), ct);
            return Results.NoContent();
        }).WithName("MenderAbortDeployment");
        // Ours (Mender has no failure guard): carry on with a rollout the guard stopped.
        write.MapPost("/v1/deployments/deployments/{id}/resume", async (string id, HttpContext http, RolloutService service, CancellationToken ct) =>
        {
            await service.ResumeAsync(id, http.User.ActorName(), ct);
            return Results.NoContent();
        }).WithName("MenderResumeDeployment");
        read.MapGet("/v1/deployments/deployments/{id}/devices", async (string id, RolloutService service, CancellationToken ct) =>
            MenderApi.Ok((await service.DevicesAsync(id, null, 1, int.MaxValue, ct)).Devices.Select(DeviceDeploymentJson))).WithName("MenderDeploymentDevices");
        read.MapGet("/v1/deployments/deployments/{id}/devices/list", async (string id, string? status, HttpContext http, RolloutService service, CancellationToken ct) =>
        {
            var (page, perPage) = MenderApi.Paging(http.Request);
            var (devices, total) = await service.DevicesAsync(id, status, page, perPage, ct);
            MenderApi.PagingHeaders(http, page, perPage, total);
            return MenderApi.Ok(devices.Select(DeviceDeploymentJson));
        }).WithName("MenderDeploymentDevicesList");
        read.MapGet("/v1/deployments/deployments/{id}/device_list", async (string id, RolloutService service, CancellationToken ct) =>
            MenderApi.Ok((await service.DevicesAsync(id, null, 1, int.MaxValue, ct)).Devices.Select(d => d.Deployment.DeviceId))).WithName("MenderDeploymentDeviceIds");
        read.MapGet("/v1/deployments/deployments/{id}/devices/{deviceId}/log", async (string id, string deviceId, RolloutService service, CancellationToken ct) =>
            Results.Text(await service.LogAsync(id, deviceId, ct), "text/plain")).WithName("MenderDeploymentDeviceLog");
        read.MapGet("/v1/deployments/deployments/devices/{deviceId}", async (string deviceId, string? status, HttpContext http, RolloutService service, CancellationToken ct) =>
        {
            // Mender pages a device's history by at most 20.
            var (page, perPage) = MenderApi.Paging(http.Request);
            if (perPage > 20) throw new ValidationException("per_page", "invalid per_page query: must be between 1 and 20");
            return MenderApi.Ok((await service.DeviceHistoryAsync(deviceId, status, page, perPage, ct)).Select(h => new
            {
                id = h.Deployment.RolloutId + "/" + h.Deployment.DeviceId,
                deployment = RolloutJson(h.Rollout, null),
                device = DeviceDeploymentJson(new DeviceDeploymentView(h.Deployment, "")),
            }));
        }).WithName("MenderDeviceDeploymentHistory");
        write.MapDelete("/v1/deployments/deployments/devices/{deviceId}", async (string deviceId, RolloutService service, CancellationToken ct) =>
        {
            await service.AbortDeviceAsync(deviceId, ct);
            return Results.NoContent();
        }).WithName("MenderAbortDeviceDeployments");
        read.MapPost("/v1/deployments/deployments/statistics/list", async (HttpContext http, RolloutService service, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "deployment ids", ct);
            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("deployment_ids", out var ids))
                throw new ValidationException("deployment_ids", "deployment_ids: cannot be blank");
            var stats = await service.StatisticsListAsync(MenderApi.StringArray(ids, "deployment_ids"), ct);
            return MenderApi.Ok(stats.Select(s => new { id = s.Id, stats = s.Counts }));
        }).WithName("MenderDeploymentStatisticsList");
        read.MapGet("/v1/deployments/artifacts/list", async (string? name, string? description, string? device_type, string? sort, HttpContext http, ArtifactService artifacts, CancellationToken ct) =>
        {
            var (page, perPage) = MenderApi.Paging(http.Request);
            var (list, total) = await artifacts.ListPageAsync(name, description, device_type, string.IsNullOrEmpty(sort) ? "name:asc" : sort, page, perPage, ct);
            MenderApi.PagingHeaders(http, page, perPage, total);
            return MenderApi.Ok(list.Select(ArtifactJson));
        }).WithName("MenderListArtifactsPaged");
        read.MapGet("/v1/deployments/limits/storage", async (ArtifactService artifacts, CancellationToken ct) =>
            MenderApi.Ok(new { limit = 0L, usage = await artifacts.StorageUsageAsync(ct) })).WithName("MenderStorageLimit");
        return app;
    }

    /// <summary>
    /// mender-cli's upload: multipart parts <c>size</c>, <c>description</c>, then <c>artifact</c>, sent
    /// chunked. The artifact part is streamed to disk, never buffered in memory.
    /// </summary>
    private static async Task<IResult> UploadAsync(HttpContext http, ArtifactService artifacts, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new ValidationException("artifact", "the upload must be multipart/form-data with parts size, description and artifact");
        }
        var reader = new MultipartReader(boundary, http.Request.Body);
        long? size = null;
        string? description = null;
        Artifact? artifact = null;
        while (await NextSectionAsync(reader, ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            switch (name)
            {
                case "size":
                    var text = await new StreamReader(section.Body).ReadToEndAsync(ct);
                    size = long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                        ? parsed : throw new ValidationException("size", $"size: \"{text}\" is not a number of bytes");
                    break;
                case "description":
                    description = await new StreamReader(section.Body).ReadToEndAsync(ct);
                    break;
                case "artifact":
                    artifact = await artifacts.UploadAsync(section.Body, size, description, http.User.ActorName(), ct);
                    break;
            }
        }
        if (artifact is null) throw new ValidationException("artifact", "artifact: the form has no artifact part");
        http.Response.Headers.Location = $"/api/management/v1/deployments/artifacts/{artifact.Id}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    /// <summary>The next part; a body that is not the multipart it claims to be is the caller's error, not ours.</summary>
    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new ValidationException("artifact", "the multipart body is malformed: " + e.Message);
        }
    }

    internal static object ArtifactJson(Artifact a)
    {
        using var metadata = JsonDocument.Parse(a.Metadata);
        var root = metadata.RootElement;
        // A part the artifact does not have is null: an undefined JsonElement cannot be written at all.
        JsonElement? Part(string name) => root.TryGetProperty(name, out var v) ? v.Clone() : null;
        return new
        {
            id = a.Id,
            name = a.Name,
            description = a.Description,
            device_types_compatible = a.DeviceTypes,
            info = new { format = "mender", version = a.FormatVersion },
            signed = a.Signed,
            updates = Part("updates"),
            artifact_provides = Part("artifact_provides"),
            artifact_depends = Part("artifact_depends"),
            clears_artifact_provides = Part("clears_artifact_provides"),
            size = a.Size,
            modified = a.ModifiedAt,
        };
    }

    private static async Task<IResult> NextAsync(HttpContext http, Dictionary<string, string> provides, DeviceDeploymentService service, ArtifactLinks links, CancellationToken ct)
    {
        var next = await service.NextAsync(http.DeviceId(), provides, ct);
        if (next is null) return Results.NoContent();
        var (path, expires) = links.Create(next.Artifact.Id);
        return MenderApi.Ok(new
        {
            id = next.RolloutId,
            artifact = new
            {
                id = next.Artifact.Id,
                artifact_name = next.Artifact.Name,
                source = new { uri = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{path}", expire = expires },
                device_types_compatible = next.Artifact.DeviceTypes,
            },
        });
    }

    /// <summary>Provides as the daemon sends them: a flat object of strings (numbers and booleans are tolerated as text).</summary>
    private static Dictionary<string, string> Provides(JsonElement provides)
    {
        if (provides.ValueKind != JsonValueKind.Object) throw new ValidationException("device_provides", "device_provides: must be an object");
        return provides.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null)
            .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, RolloutService service, string? group, CancellationToken ct)
    {
        var body = await MenderApi.ReadJsonAsync(http.Request, "deployment", ct);
        // The seed's example wraps the body in an array; Mender's server takes the object. Both work.
        if (body.ValueKind == JsonValueKind.Array && body.GetArrayLength() == 1) body = body[0];
        if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("body", "failed to decode deployment: expected a JSON object");
        var request = ReadRequest(body) with { Group = group };
        var rollout = await service.CreateAsync(request, http.User.ActorName(), ct, http.FreezeOverride());
        http.Response.Headers.Location = $"{Deployments}/{rollout.Id}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    internal static RolloutRequest ReadRequest(JsonElement body)
    {
        var phases = new List<PhaseRequest>();
        if (body.TryGetProperty("phases", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array) throw new ValidationException("phases", "phases: must be an array");
            var i = 0;
            foreach (var phase in list.EnumerateArray())
            {
                if (phase.ValueKind != JsonValueKind.Object) throw new ValidationException("phases", $"phases[{i}]: must be an object");
                phases.Add(new PhaseRequest(Integer(phase, "batch_size", $"phases[{i}].batch_size"), Timestamp(phase, "start_ts", $"phases[{i}].start_ts")));
                i++;
            }
        }
        var devices = body.TryGetProperty("devices", out var d) && d.ValueKind != JsonValueKind.Null ? MenderApi.StringArray(d, "devices") : null;
        var all = body.TryGetProperty("all_devices", out var a) && a.ValueKind == JsonValueKind.True;
        return new RolloutRequest
        {
            Name = MenderApi.OptionalString(body, "name"),
            ArtifactName = MenderApi.OptionalString(body, "artifact_name"),
            FilterId = MenderApi.OptionalString(body, "filter_id"),
            DeviceIds = devices,
            AllDevices = all,
            Phases = phases,
            Retries = Integer(body, "retries", "retries") ?? 0,
            MaxDevices = Integer(body, "max_devices", "max_devices"),
            FailureThresholdPercent = body.TryGetProperty("failure_threshold", out var f) && f.ValueKind != JsonValueKind.Null
                ? f.ValueKind == JsonValueKind.Number ? f.GetDouble() : throw new ValidationException("failure_threshold", "failure_threshold: must be a number (percent)")
                : null,
        };
    }

    private static int? Integer(JsonElement body, string name, string label)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : throw new ValidationException(name, $"{label}: must be an integer");
    }

    private static DateTime? Timestamp(JsonElement body, string name, string label)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        // Mender writes offsets both as +02:00 and as +0000 (the seed); read both.
        var text = value.ValueKind == JsonValueKind.String ? CompactOffset().Replace(value.GetString()!, "$1:$2") : null;
        return text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.UtcDateTime
            : throw new ValidationException(name, $"{label}: must be an RFC 3339 date-time");
    }

    [GeneratedRegex(@"([+-]\d\d)(\d\d)$")]
    private static partial Regex CompactOffset();

    private static async Task<IResult> ListAsync(HttpContext http, RolloutService service, CancellationToken ct)
    {
        var (page, perPage) = MenderApi.Paging(http.Request);
        var q = http.Request.Query;
        var query = new RolloutListQuery(
            Status: NullIfEmpty(q["status"]),
            Search: NullIfEmpty(q["search"]) ?? NullIfEmpty(q["name"]),
            CreatedAfter: Unix(q["created_after"], "created_after"),
            CreatedBefore: Unix(q["created_before"], "created_before"),
            Ascending: q["sort"].ToString() == "asc");
        var (rollouts, total) = await service.ListAsync(query, page, perPage, ct);
        MenderApi.PagingHeaders(http, page, perPage, total);
        return MenderApi.Ok(rollouts.Select(r => RolloutJson(r, null)));
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value.ToString().Length == 0 ? null : value.ToString();

    private static DateTime? Unix(Microsoft.Extensions.Primitives.StringValues value, string name)
    {
        if (value.Count == 0 || value.ToString().Length == 0) return null;
        return long.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and < 253402300800
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime
            : throw new ValidationException(name, $"invalid {name} query: must be a Unix timestamp");
    }

    private static async Task<IResult> GetAsync(string id, RolloutService service, CancellationToken ct) =>
        MenderApi.Ok(RolloutJson(await service.GetAsync(id, ct), await service.StatisticsAsync(id, ct)));

    internal static object RolloutJson(Rollout r, IReadOnlyDictionary<string, int>? statistics) => new
    {
        id = r.Id,
        name = r.Name,
        artifact_name = r.ArtifactName,
        created = r.CreatedAt,
        finished = r.FinishedAt,
        status = RolloutStates.MenderStatus(r.State),
        device_count = r.DeviceCount,
        initial_device_count = r.DeviceCount,
        groups = r.Group is null ? null : new[] { r.Group },
        phases = r.Phases.OrderBy(p => p.Index).Select(p => new
        {
            id = $"{r.Id}-{p.Index}",
            batch_size = p.BatchSize,
            start_ts = p.StartAt,
            device_count = p.DeviceCount,
        }),
        retries = r.Retries,
        max_devices = r.MaxDevices,
        filter_id = r.FilterId,
        type = "software",
        statistics = statistics is null ? null : new { status = statistics },
        // Ours, beside Mender's fields: the internal state, the failure guard, why it stopped or ended.
        state = r.State,
        failure_threshold = r.FailureThresholdPercent,
        state_reason = r.StateReason,
    };

    internal static object DeviceDeploymentJson(DeviceDeploymentView view)
    {
        var d = view.Deployment;
        return new
        {
            id = d.DeviceId,
            status = d.Status,
            created = d.CreatedAt,
            started = d.StartedAt,
            finished = d.FinishedAt,
            device_type = d.DeviceType,
            log = d.HasLog,
            substate = d.Substate,
            attempts = d.Attempts,
            phase = d.PhaseIndex + 1,
            hostname = view.Hostname.Length == 0 ? null : view.Hostname,
            image = d.ArtifactId is null ? null : new { id = d.ArtifactId },
        };
    }
}
