using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Rollouts;

namespace Dashboard.App.Api;

/// <summary>
/// Mender's inventory: the device's own attribute report (<c>/api/devices/v1/inventory</c>), the
/// management inventory v1 (devices, static groups) and v2 (search, saved filters).
/// </summary>
public static class MenderInventoryApi
{
    public static IEndpointRouteBuilder MapMenderInventoryApi(this IEndpointRouteBuilder app)
    {
        var device = app.MenderGroup("/api/devices/v1/inventory", "Mender device inventory").RequireDeviceToken();
        device.MapPut("/device/attributes", (HttpContext http, MenderInventoryService inventory, CancellationToken ct) => UpdateAttributesAsync(http, inventory, replace: true, ct))
            .WithName("MenderInventoryPut");
        device.MapPatch("/device/attributes", (HttpContext http, MenderInventoryService inventory, CancellationToken ct) => UpdateAttributesAsync(http, inventory, replace: false, ct))
            .WithName("MenderInventoryPatch");

        var read = app.MenderGroup("/api/management", "Mender inventory").RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read));
        var write = app.MenderGroup("/api/management", "Mender inventory").RequireAuthorization(AuthPolicies.Scope(ApiScopes.RolloutsWrite));

        read.MapGet("/v1/inventory/devices", ListDevicesAsync).WithName("MenderInventoryList");
        read.MapGet("/v1/inventory/devices/{id}", async (string id, MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok(DeviceJson(await inventory.GetAsync(id, ct)))).WithName("MenderInventoryGet");
        read.MapGet("/v1/inventory/devices/{id}/group", async (string id, MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok(new { group = (await inventory.GetAsync(id, ct)).Device.Group })).WithName("MenderInventoryGetGroup");
        write.MapPut("/v1/inventory/devices/{id}/group", async (string id, HttpContext http, MenderInventoryService inventory, CancellationToken ct) =>
        {
            var body = await MenderApi.ReadJsonAsync(http.Request, "group", ct);
            if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("group", "failed to decode group: expected an object");
            await inventory.SetGroupAsync(id, MenderApi.RequiredString(body, "group"), ct);
            return Results.NoContent();
        }).WithName("MenderInventorySetGroup");
        write.MapDelete("/v1/inventory/devices/{id}/group/{name}", async (string id, string name, MenderInventoryService inventory, CancellationToken ct) =>
        {
            await inventory.ClearGroupAsync(id, name, ct);
            return Results.NoContent();
        }).WithName("MenderInventoryClearGroup");
        read.MapGet("/v1/inventory/groups", async (MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok(await inventory.GroupsAsync(ct))).WithName("MenderInventoryGroups");
        read.MapGet("/v1/inventory/groups/{name}/devices", async (string name, HttpContext http, MenderInventoryService inventory, CancellationToken ct) =>
        {
            var (page, perPage) = MenderApi.Paging(http.Request);
            var (ids, total) = await inventory.GroupDevicesAsync(name, page, perPage, ct);
            MenderApi.PagingHeaders(http, page, perPage, total);
            return MenderApi.Ok(ids);
        }).WithName("MenderInventoryGroupDevices");
        write.MapPatch("/v1/inventory/groups/{name}/devices", async (string name, HttpContext http, MenderInventoryService inventory, CancellationToken ct) =>
        {
            var ids = MenderApi.StringArray(await MenderApi.ReadJsonAsync(http.Request, "device IDs", ct), "devices");
            var (matched, updated) = await inventory.AddToGroupAsync(name, ids, ct);
            return MenderApi.Ok(new { updated_count = updated, matched_count = matched });
        }).WithName("MenderInventoryAddToGroup");
        write.MapDelete("/v1/inventory/groups/{name}/devices", async (string name, HttpContext http, MenderInventoryService inventory, CancellationToken ct) =>
        {
            var ids = MenderApi.StringArray(await MenderApi.ReadJsonAsync(http.Request, "device IDs", ct), "devices");
            return MenderApi.Ok(new { updated_count = await inventory.RemoveFromGroupAsync(name, ids, ct) });
        }).WithName("MenderInventoryRemoveFromGroup");

        read.MapPost("/v2/inventory/filters/search", SearchAsync).WithName("MenderInventorySearch");
        write.MapPost("/v2/inventory/filters", CreateFilterAsync).WithName("MenderFilterCreate");
        read.MapGet("/v2/inventory/filters", async (MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok((await inventory.FiltersAsync(ct)).Select(FilterJson))).WithName("MenderFilterList");
        read.MapGet("/v2/inventory/filters/attributes", async (MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok((await inventory.FilterAttributesAsync(ct)).Select(a => new { name = a.Name, scope = a.Scope, count = a.Count }))).WithName("MenderFilterAttributes");
        read.MapGet("/v2/inventory/filters/{id}", async (string id, MenderInventoryService inventory, CancellationToken ct) =>
            MenderApi.Ok(FilterJson(await inventory.GetFilterAsync(id, ct)))).WithName("MenderFilterGet");
        write.MapDelete("/v2/inventory/filters/{id}", async (string id, MenderInventoryService inventory, CancellationToken ct) =>
        {
            await inventory.DeleteFilterAsync(id, ct);
            return Results.NoContent();
        }).WithName("MenderFilterDelete");
        return app;
    }

    private static async Task<IResult> UpdateAttributesAsync(HttpContext http, MenderInventoryService inventory, bool replace, CancellationToken ct)
    {
        var body = await MenderApi.ReadJsonAsync(http.Request, "attributes", ct);
        if (body.ValueKind != JsonValueKind.Array) throw new ValidationException("attributes", "failed to decode attributes: expected an array of {name, value}");
        var attributes = new List<(string, JsonElement)>();
        foreach (var item in body.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("value", out var value))
                throw new ValidationException("attributes", "each attribute must be an object with name and value");
            attributes.Add((MenderApi.RequiredString(item, "name"), value));
        }
        await inventory.UpdateDeviceAttributesAsync(http.DeviceId(), attributes, replace, ct);
        // The daemon needs exactly 200 here (even 204 counts as a failure).
        return Results.Ok();
    }

    private static async Task<IResult> ListDevicesAsync(HttpContext http, string? group, bool? has_group, MenderInventoryService inventory, CancellationToken ct)
    {
        var (page, perPage) = MenderApi.Paging(http.Request);
        var (devices, total) = await inventory.ListAsync(group, has_group, page, perPage, ct);
        MenderApi.PagingHeaders(http, page, perPage, total);
        return MenderApi.Ok(devices.Select(DeviceJson));
    }

    private static async Task<IResult> SearchAsync(HttpContext http, MenderInventoryService inventory, CancellationToken ct)
    {
        var body = await MenderApi.ReadJsonAsync(http.Request, "search parameters", ct);
        if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("body", "failed to decode search parameters: expected an object");
        var page = body.TryGetProperty("page", out var p) && p.TryGetInt32(out var pv) ? pv : 1;
        var perPage = body.TryGetProperty("per_page", out var pp) && pp.TryGetInt32(out var ppv) ? ppv : 20;
        if (page < 1 || perPage is < 1 or > 500) throw new ValidationException("page", "page must be positive and per_page between 1 and 500");
        var terms = body.TryGetProperty("filters", out var filters) && filters.ValueKind != JsonValueKind.Null ? Terms(filters, "filters") : [];
        var (devices, total) = await inventory.SearchAsync(terms, page, perPage, ct);
        http.Response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return MenderApi.Ok(devices.Select(DeviceJson));
    }

    private static async Task<IResult> CreateFilterAsync(HttpContext http, MenderInventoryService inventory, CancellationToken ct)
    {
        var body = await MenderApi.ReadJsonAsync(http.Request, "filter", ct);
        if (body.ValueKind != JsonValueKind.Object) throw new ValidationException("body", "failed to decode filter: expected an object");
        var terms = body.TryGetProperty("terms", out var t) && t.ValueKind != JsonValueKind.Null ? Terms(t, "terms") : null;
        var filter = await inventory.CreateFilterAsync(MenderApi.OptionalString(body, "name"), terms, ct);
        http.Response.Headers.Location = $"/api/management/v2/inventory/filters/{filter.Id}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    /// <summary>Reads <c>[{scope, attribute, type, value}]</c>; values keep their JSON form.</summary>
    internal static List<FilterTerm> Terms(JsonElement array, string name)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new ValidationException(name, $"{name}: must be an array");
        var terms = new List<FilterTerm>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) throw new ValidationException(name, $"{name}: each term must be an object");
            var value = item.TryGetProperty("value", out var v) && v.ValueKind != JsonValueKind.Null ? v.GetRawText() : null;
            terms.Add(new FilterTerm(MenderApi.RequiredString(item, "scope"), MenderApi.RequiredString(item, "attribute"), MenderApi.RequiredString(item, "type"), value));
        }
        return terms;
    }

    internal static object FilterJson(InventoryFilter filter) => new
    {
        id = filter.Id,
        name = filter.Name,
        terms = filter.Terms.Select(t => new { scope = t.Scope, attribute = t.Attribute, type = t.Type, value = t.Value is null ? (JsonElement?)null : MenderApi.ParseValue(t.Value) }),
    };

    internal static object DeviceJson(InventoryDevice device) => new
    {
        id = device.Device.Id,
        attributes = device.Attributes.Select(a => (object)new { name = a.Name, value = MenderApi.ParseValue(a.Value), scope = a.Scope })
            .Concat(SystemAttributes(device)),
        updated_ts = device.Device.UpdatedAt,
    };

    private static IEnumerable<object> SystemAttributes(InventoryDevice device)
    {
        if (device.Device.Group is { } group) yield return new { name = "group", value = JsonSerializer.SerializeToElement(group), scope = AttributeScopes.System };
        yield return new { name = "status", value = JsonSerializer.SerializeToElement(device.Device.AuthStatus), scope = AttributeScopes.Identity };
    }
}
