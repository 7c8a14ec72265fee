using System.Globalization;
using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;

namespace Dashboard.App.Api;

/// <summary>
/// Packet's API, wire-compatible, at Packet's paths from the server root (<c>X-Auth-Token</c>):
/// batch deployments, devices, facilities, plans, operating systems and capacity. The real packngo
/// client works against it unchanged (App.Tests/Batches/packngo).
/// </summary>
public static class PacketApi
{
    public static IEndpointRouteBuilder MapPacketApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/")
            .WithTags("Packet")
            .WithMetadata(PacketErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read));

        group.MapPost("/projects/{projectId}/devices/batch", CreateBatchesAsync)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.BatchesWrite)).WithName("PacketCreateBatches");
        group.MapGet("/projects/{projectId}/batches", ListBatchesAsync).WithName("PacketListBatches");
        group.MapGet("/batches/{batchId}", GetBatchAsync).WithName("PacketGetBatch");
        group.MapDelete("/batches/{batchId}", DeleteBatchAsync)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.BatchesWrite)).WithName("PacketDeleteBatch");
        group.MapGet("/projects/{projectId}/devices", ListDevicesAsync).WithName("PacketListDevices");
        group.MapGet("/devices/{deviceId}", GetDeviceAsync).WithName("PacketGetDevice");
        group.MapGet("/facilities", async (FleetService fleet, CancellationToken ct) =>
            Ok(new { facilities = (await fleet.SummaryAsync(ct)).Facilities.Select(PacketJson.Facility) })).WithName("PacketListFacilities");
        group.MapGet("/plans", async (FleetService fleet, CancellationToken ct) =>
            Ok(new { plans = (await fleet.SummaryAsync(ct)).Plans.Select(PacketJson.Plan) })).WithName("PacketListPlans");
        group.MapGet("/operating-systems", async (FleetService fleet, CancellationToken ct) =>
            Ok(new { operating_systems = (await fleet.SummaryAsync(ct)).OperatingSystems.Select(PacketJson.OperatingSystem) })).WithName("PacketListOperatingSystems");
        group.MapGet("/capacity", async (FleetService fleet, CancellationToken ct) =>
            Ok(new { capacity = PacketJson.Capacity(await fleet.SummaryAsync(ct)) })).WithName("PacketCapacity");
        return app;
    }

    private static async Task<IResult> CreateBatchesAsync(string projectId, HttpRequest request, BatchService batches, FleetService fleet, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var requests = PacketBatchRequestReader.Read(body.RootElement);
        var created = await batches.SubmitAsync(projectId, requests, request.HttpContext.User.ActorName(), ct, request.HttpContext.FreezeOverride());
        var reference = await PacketJson.ReferenceAsync(fleet, ct);
        return Results.Json(new { batches = created.Select(b => PacketJson.Batch(b, [], reference)) }, PacketJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListBatchesAsync(string projectId, BatchService batches, FleetService fleet, CancellationToken ct)
    {
        if (!await batches.ProjectExistsAsync(projectId, ct)) return NotFound("Project", projectId);
        var reference = await PacketJson.ReferenceAsync(fleet, ct);
        var list = await batches.ListAsync(projectId, ct: ct);
        return Ok(new { batches = list.Select(b => PacketJson.Batch(b, [], reference)) });
    }

    private static async Task<IResult> GetBatchAsync(string batchId, BatchService batches, FleetService fleet, CancellationToken ct)
    {
        var detail = await batches.GetAsync(batchId, ct);
        if (detail is null) return NotFound("Batch", batchId);
        return Ok(PacketJson.Batch(detail.Batch, detail.Devices, await PacketJson.ReferenceAsync(fleet, ct)));
    }

    private static async Task<IResult> DeleteBatchAsync(string batchId, HttpContext context, BatchService batches, CancellationToken ct)
    {
        var remove = context.Request.Query["remove_associated_instances"].ToString();
        if (remove is not ("" or "true" or "false"))
            throw new ValidationException("remove_associated_instances", "remove_associated_instances must be true or false.");
        await batches.DeleteAsync(batchId, remove == "true", context.User.ActorName(), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ListDevicesAsync(string projectId, BatchService batches, FleetService fleet, CancellationToken ct)
    {
        if (!await batches.ProjectExistsAsync(projectId, ct)) return NotFound("Project", projectId);
        var reference = await PacketJson.ReferenceAsync(fleet, ct);
        var devices = await batches.ProjectDevicesAsync(projectId, ct);
        return Ok(new { devices = devices.Select(d => PacketJson.Device(d, reference)), meta = new { total = devices.Count } });
    }

    private static async Task<IResult> GetDeviceAsync(string deviceId, BatchService batches, FleetService fleet, CancellationToken ct)
    {
        var device = await batches.DeviceAsync(deviceId, ct);
        return device is null ? NotFound("Device", deviceId) : Ok(PacketJson.Device(device, await PacketJson.ReferenceAsync(fleet, ct)));
    }

    private static IResult Ok(object value) => Results.Json(value, PacketJson.Options);

    private static IResult NotFound(string what, string id) => Error(StatusCodes.Status404NotFound, new NotFoundException(what, id).Message);

    private static IResult Error(int status, string message) => ApiErrors.Result(status, message);
}

/// <summary>Packet's error body: <c>{"errors":["..."]}</c>; Packet answers input it refuses with 422.</summary>
public sealed class PacketErrorFormat : IApiErrorFormat
{
    public static readonly PacketErrorFormat Instance = new();

    public int ValidationStatus => StatusCodes.Status422UnprocessableEntity;

    /// <summary>Packet refuses a well-formed request it will not carry out with 422 and its reason in <c>errors</c>.</summary>
    public int FrozenStatus => StatusCodes.Status422UnprocessableEntity;

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new PacketErrors([message]), PacketJson.Options);
    }

    private sealed record PacketErrors(IReadOnlyList<string> errors);
}

/// <summary>
/// Reads Packet's batch request the way real clients send it: <c>facility</c> as a string or an
/// array (packngo sends <c>["any"]</c>), <c>spot_price_max</c> as a number or a string (packngo),
/// and fields it does not use (<c>project_id</c>, <c>userdata</c>) ignored.
/// </summary>
public static class PacketBatchRequestReader
{
    public static List<BatchRequest> Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("batches", out var batches) || batches.ValueKind != JsonValueKind.Array)
            throw new ValidationException("batches", "The body must be an object with a \"batches\" array.");
        var requests = new List<BatchRequest>();
        var index = 0;
        foreach (var item in batches.EnumerateArray())
        {
            var prefix = batches.GetArrayLength() > 1 ? $"batches[{index}]: " : "";
            if (item.ValueKind != JsonValueKind.Object) throw new ValidationException("batches", $"{prefix}each batch must be an object.");
            try
            {
                requests.Add(ReadOne(item));
            }
            catch (ValidationException ex)
            {
                throw new ValidationException(ex.Field, prefix + ex.Message);
            }
            index++;
        }
        return requests;
    }

    private static BatchRequest ReadOne(JsonElement b) => new()
    {
        Hostname = String(b, "hostname"),
        Hostnames = Strings(b, "hostnames"),
        Description = String(b, "description"),
        Plan = String(b, "plan") ?? "",
        OperatingSystem = String(b, "operating_system") ?? "",
        Facilities = Strings(b, "facility", acceptSingle: true) ?? [],
        FacilityDiversityLevel = Integer(b, "facility_diversity_level") is { } level && level != 0 ? (int)level : null,
        BillingCycle = String(b, "billing_cycle"),
        Tags = Strings(b, "tags") ?? [],
        Quantity = (int)Math.Clamp(Integer(b, "quantity") ?? 0, int.MinValue, int.MaxValue),
        SpotInstance = Boolean(b, "spot_instance"),
        SpotPriceMax = Number(b, "spot_price_max") is { } max && max != 0 ? max : null,
    };

    private static JsonElement? Property(JsonElement b, string name) =>
        b.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement b, string name) => Property(b, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw new ValidationException(name, $"{name} must be a string."),
    };

    private static List<string>? Strings(JsonElement b, string name, bool acceptSingle = false)
    {
        switch (Property(b, name))
        {
            case null: return null;
            case { ValueKind: JsonValueKind.String } single when acceptSingle: return [single.GetString()!.Trim()];
            case { ValueKind: JsonValueKind.Array } array:
                return [.. array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                    ? e.GetString()!.Trim()
                    : throw new ValidationException(name, $"{name} must be a list of strings."))];
            default:
                throw new ValidationException(name, acceptSingle ? $"{name} must be a string or a list of strings." : $"{name} must be a list of strings.");
        }
    }

    private static long? Integer(JsonElement b, string name)
    {
        var value = Property(b, name);
        if (value is null) return null;
        if (value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt64(out var n)) return n;
        if (value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetDouble(out var d) && d == Math.Floor(d)) return d > 0 ? long.MaxValue : long.MinValue;
        if (value.Value.ValueKind == JsonValueKind.String && long.TryParse(value.Value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) return s;
        throw new ValidationException(name, $"{name} must be a whole number.");
    }

    private static double? Number(JsonElement b, string name)
    {
        var value = Property(b, name);
        if (value is null) return null;
        if (value.Value.ValueKind == JsonValueKind.Number) return value.Value.GetDouble();
        if (value.Value.ValueKind == JsonValueKind.String && double.TryParse(value.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s)) return s;
        throw new ValidationException(name, $"{name} must be a number.");
    }

    private static bool Boolean(JsonElement b, string name) => Property(b, name) switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw new ValidationException(name, $"{name} must be true or false."),
    };
}
