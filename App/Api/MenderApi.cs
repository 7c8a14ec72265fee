using System.Globalization;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Rollouts;

namespace Dashboard.App.Api;

/// <summary>
/// Mender's server API, wire-compatible with the real mender 3.4 daemon and mender-cli 1.9, at
/// Mender's paths from the server root. One file per API family (device auth, inventory,
/// deployments); this one holds what they share: the error body, the request id, the device token
/// check, paging and JSON helpers. Management calls take an API token (<c>Authorization: Bearer</c>,
/// the one <c>useradm/auth/login</c> hands mender-cli); device calls take a device token.
/// </summary>
public static class MenderApi
{
    private const string DeviceItem = "mender.device";

    /// <summary>Names exactly as written (Mender's snake_case lives in the anonymous types), UTC times as RFC 3339.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General) { PropertyNamingPolicy = null };

    public static IEndpointRouteBuilder MapMenderApi(this IEndpointRouteBuilder app)
    {
        app.MapMenderDeviceAuthApi();
        app.MapMenderInventoryApi();
        app.MapMenderDeploymentsApi();
        return app;
    }

    /// <summary>A route group in Mender's error format, with the request id echoed on every answer.</summary>
    internal static RouteGroupBuilder MenderGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup(prefix).WithTags(tag).WithMetadata(MenderErrorFormat.Instance).AddEndpointFilter(MenderErrorFilter);

    /// <summary>Device endpoints: a valid device token of a device that is still accepted.</summary>
    internal static RouteGroupBuilder RequireDeviceToken(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        var authorization = http.Request.Headers.Authorization.ToString();
        var token = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        var deviceId = await http.RequestServices.GetRequiredService<MenderDeviceService>().AuthenticateTokenAsync(token, http.RequestAborted);
        if (deviceId is null) return ApiErrors.Result(StatusCodes.Status401Unauthorized, token is null ? "missing device token" : "the device token is not valid");
        http.Items[DeviceItem] = deviceId;
        return await next(context);
    });

    internal static string DeviceId(this HttpContext http) => (string)http.Items[DeviceItem]!;

    internal static IResult Ok(object value, int status = StatusCodes.Status200OK) => Results.Json(value, Json, statusCode: status);

    /// <summary>Mender's paging: <c>page</c> from 1, <c>per_page</c> 1..500 (default 20).</summary>
    internal static (int Page, int PerPage) Paging(HttpRequest request, int defaultPerPage = 20)
    {
        var page = ParseInt(request, "page") ?? 1;
        var perPage = ParseInt(request, "per_page") ?? defaultPerPage;
        if (page < 1) throw new ValidationException("page", "invalid page query: must be a positive integer");
        if (perPage is < 1 or > 500) throw new ValidationException("per_page", "invalid per_page query: must be between 1 and 500");
        return (page, perPage);
    }

    private static int? ParseInt(HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0) return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationException(name, $"invalid {name} query: \"{text}\" is not a number");
    }

    /// <summary>Writes <c>X-Total-Count</c> and a <c>Link</c> header with first / prev / next.</summary>
    internal static void PagingHeaders(HttpContext http, int page, int perPage, int total)
    {
        var request = http.Request;
        string Url(int p)
        {
            var query = request.Query.Where(q => q.Key is not ("page" or "per_page")).Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
                .Append($"page={p}").Append($"per_page={perPage}");
            return $"<{request.PathBase}{request.Path}?{string.Join('&', query)}>";
        }
        var links = new List<string> { $"{Url(1)}; rel=\"first\"" };
        if (page > 1) links.Add($"{Url(page - 1)}; rel=\"prev\"");
        if ((long)page * perPage < total) links.Add($"{Url(page + 1)}; rel=\"next\"");
        http.Response.Headers["Link"] = string.Join(", ", links);
        http.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a JSON body (chunked or not); an empty or malformed body is Mender's 400.</summary>
    internal static async Task<JsonElement> ReadJsonAsync(HttpRequest request, string what, CancellationToken ct)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new ValidationException("body", $"failed to decode {what}: the body is not valid JSON");
        }
    }

    internal static string? OptionalString(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new ValidationException(name, $"{name}: must be a string")
            : null;

    internal static string RequiredString(JsonElement body, string name) =>
        OptionalString(body, name) is { Length: > 0 } value && value.Trim().Length > 0 ? value : throw new ValidationException(name, $"{name}: cannot be blank");

    internal static List<string> StringArray(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? [.. value.EnumerateArray().Select(e => e.GetString()!)]
            : throw new ValidationException(name, $"{name}: must be an array of strings");

    /// <summary>Attribute and term values keep their JSON form: a string, a number, or an array.</summary>
    internal static JsonElement ParseValue(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    // Every Mender answer carries the request id, successes too. The one exception the shared handler
    // does not know is Mender's 422 (a deployment with nothing to deploy, an abort of a finished one).
    private static async ValueTask<object?> MenderErrorFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        MenderRequestId.Ensure(context.HttpContext);
        try
        {
            return await next(context);
        }
        catch (UnprocessableException ex)
        {
            return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, ex.Message);
        }
    }
}
