using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Changes;

namespace Dashboard.App.Api;

/// <summary>
/// The BigPanda-compatible change-events API, at BigPanda's own paths from the server root:
/// deployment start/end events (<c>POST /data/events/deployments/start|end</c>) and the Changes API
/// (<c>POST /data/changes</c>), with <c>Authorization: Bearer</c>. Bodies are parsed by hand so that a
/// wrong type, a missing field or a timestamp in milliseconds is answered with a 400 naming the field.
/// </summary>
public static class BigPandaApi
{
    /// <summary>Bodies above this are refused with 413 before they are parsed.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    // Unix seconds from 2000-01-01; anything at or above 10^11 is a millisecond value (or year 5138).
    private const long EarliestSeconds = 946_684_800;
    private const long MillisecondsThreshold = 100_000_000_000;

    public static IEndpointRouteBuilder MapBigPandaApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/data")
            .WithTags("BigPanda")
            .WithMetadata(BigPandaErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.ChangesWrite));

        group.MapPost("/events/deployments/start", (HttpContext http, ChangeService changes, TimeProvider clock) =>
            HandleAsync(http, body => changes.StartAsync(new DeploymentStart(
                RequiredString(body, "component"),
                RequiredString(body, "version"),
                Hosts(body),
                UnixSeconds(body, "timestamp", clock),
                OptionalString(body, "description"),
                OptionalString(body, "owner"),
                OptionalString(body, "source")), http.RequestAborted)))
            .WithName("BigPandaDeploymentStart");

        group.MapPost("/events/deployments/end", (HttpContext http, ChangeService changes, TimeProvider clock) =>
            HandleAsync(http, body => changes.EndAsync(new DeploymentEnd(
                RequiredString(body, "component"),
                RequiredString(body, "version"),
                Hosts(body),
                EndStatus(body),
                OptionalString(body, "errorMessage"),
                UnixSeconds(body, "timestamp", clock),
                OptionalString(body, "source")), http.RequestAborted)))
            .WithName("BigPandaDeploymentEnd");

        group.MapPost("/changes", (HttpContext http, ChangeService changes, TimeProvider clock) =>
            HandleAsync(http, body =>
            {
                var tags = OptionalJson(body, "tags", JsonValueKind.Object, JsonValueKind.Array);
                return changes.UpsertAsync(new ChangeUpsert(
                    RequiredString(body, "identifier"),
                    ChangesApiStatus(body),
                    OptionalString(body, "summary"),
                    UnixSeconds(body, "start", clock),
                    UnixSeconds(body, "end", clock),
                    OptionalString(body, "ticket_url"),
                    tags?.GetRawText(),
                    OptionalJson(body, "metadata", JsonValueKind.Object)?.GetRawText(),
                    TagText(tags, "component") ?? TagText(tags, "service"),
                    TagText(tags, "owner"),
                    TagText(tags, "source")), http.RequestAborted);
            }))
            .WithName("BigPandaChangesUpsert");
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, Func<JsonElement, Task<ChangeResult>> handle)
    {
        using var body = await ReadBodyAsync(http.Request);
        var result = await handle(body.RootElement);
        return Results.Json(new Created("created", result.Code, result.Message, result.Change.Id, result.Change.Status),
            BigPandaJson.Default.Created, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The answer to an accepted event; serialised by generated code, once per event on the ingest path.</summary>
    internal sealed record Created(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("result")] string Result,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("change_status")] string ChangeStatus);

    private static async Task<JsonDocument> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes) throw TooLarge();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var content = new MemoryStream();
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (content.Length + read > MaxBodyBytes) throw TooLarge();
                content.Write(buffer, 0, read);
            }
            if (content.Length == 0) throw new ValidationException("body", "The request body is empty; send a JSON object.");
            var document = JsonDocument.Parse(content.GetBuffer().AsMemory(0, (int)content.Length), new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new ValidationException("body", "The request body must be a JSON object.");
            }
            return document;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        static BadHttpRequestException TooLarge() =>
            new($"The request body is larger than {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
    }

    private static string RequiredString(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new ValidationException(field, $"'{field}' is required.");
        if (value.ValueKind != JsonValueKind.String)
            throw new ValidationException(field, $"'{field}' must be a string.");
        return value.GetString()!;
    }

    private static string? OptionalString(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new ValidationException(field, $"'{field}' must be a string.");
        return value.GetString();
    }

    private static List<string> Hosts(JsonElement body)
    {
        if (!body.TryGetProperty("hosts", out var value) || value.ValueKind == JsonValueKind.Null)
            throw new ValidationException("hosts", "'hosts' is required: an array of host names.");
        if (value.ValueKind != JsonValueKind.Array)
            throw new ValidationException("hosts", "'hosts' must be an array of strings.");
        var hosts = new List<string>(value.GetArrayLength());
        foreach (var host in value.EnumerateArray())
        {
            if (host.ValueKind != JsonValueKind.String) throw new ValidationException("hosts", "'hosts' must be an array of strings.");
            hosts.Add(host.GetString()!);
        }
        return hosts;
    }

    private static DateTime? UnixSeconds(JsonElement body, string field, TimeProvider clock)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number)
            throw new ValidationException(field, $"'{field}' must be a number: Unix time in seconds (UTC).");
        long seconds;
        if (!value.TryGetInt64(out seconds))
        {
            if (!value.TryGetDouble(out var real) || double.IsNaN(real) || real != Math.Floor(real) || Math.Abs(real) > long.MaxValue / 2.0)
                throw new ValidationException(field, $"'{field}' must be a whole number of seconds (Unix time, UTC, without milliseconds).");
            seconds = (long)real;
        }
        if (seconds >= MillisecondsThreshold)
            throw new ValidationException(field, $"'{field}' looks like milliseconds; send Unix time in seconds.");
        var latest = clock.GetUtcNow().AddDays(1).ToUnixTimeSeconds();
        if (seconds < EarliestSeconds || seconds > latest)
            throw new ValidationException(field, $"'{field}' is out of range: expected Unix seconds between {EarliestSeconds} (2000-01-01) and one day from now.");
        return DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
    }

    private static string EndStatus(JsonElement body)
    {
        var status = OptionalString(body, "status");
        if (status is null) return ChangeStatuses.Success;
        return status.Trim().ToLowerInvariant() switch
        {
            "success" => ChangeStatuses.Success,
            "failure" => ChangeStatuses.Failure,
            _ => throw new ValidationException("status", "'status' must be one of: success, failure."),
        };
    }

    private static string ChangesApiStatus(JsonElement body)
    {
        var status = RequiredString(body, "status");
        return status.Trim().ToLowerInvariant() switch
        {
            "planned" => ChangeStatuses.Planned,
            "in progress" => ChangeStatuses.InProgress,
            "done" => ChangeStatuses.Success,
            "canceled" or "cancelled" => ChangeStatuses.Canceled,
            _ => throw new ValidationException("status", "'status' must be one of: Planned, In Progress, Done, Canceled."),
        };
    }

    private static JsonElement? OptionalJson(JsonElement body, string field, params JsonValueKind[] kinds)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (!kinds.Contains(value.ValueKind))
            throw new ValidationException(field, $"'{field}' must be a JSON {string.Join(" or ", kinds.Select(k => k.ToString().ToLowerInvariant()))}.");
        return value;
    }

    private static string? TagText(JsonElement? tags, string name) =>
        tags is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>BigPanda's error body: <c>{"status":"failure","error":"...","field":"..."}</c>.</summary>
public sealed class BigPandaErrorFormat : IApiErrorFormat
{
    public static readonly BigPandaErrorFormat Instance = new();

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new Failure("failure", message, field), BigPandaJson.Errors.Failure);
    }

    internal sealed record Failure(string Status, string Error, string? Field);
}

/// <summary>BigPanda's bodies with generated serialisers, in the web defaults the app's JSON answers use.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BigPandaApi.Created))]
[JsonSerializable(typeof(BigPandaErrorFormat.Failure))]
internal sealed partial class BigPandaJson : JsonSerializerContext
{
    /// <summary>
    /// For error bodies: escaped as ASP.NET Core's own JSON answers are (relaxed, a body is never embedded in
    /// HTML), so a message quoting a field (<c>'status'</c>) reads as it always has, not as <c>\u0027status\u0027</c>.
    /// </summary>
    public static BigPandaJson Errors { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
