using Microsoft.AspNetCore.WebUtilities;

namespace Dashboard.App.Api;

/// <summary>
/// An API family's error body. Each compatible API puts its own format on its route group
/// (<c>.WithMetadata(...)</c>), so authentication failures, validation errors and unexpected
/// failures look the same as the anchor's: Packet <c>{"errors":[...]}</c>, Mender
/// <c>{"error","request_id"}</c>, Nomad plain text, BigPanda <c>{"status","error"}</c>.
/// The status codes say how the anchor answers each kind of failure, so that
/// <see cref="ApiExceptionHandler"/> can map the domain's exceptions without knowing the family.
/// </summary>
public interface IApiErrorFormat
{
    Task WriteAsync(HttpContext context, int status, string message, string? field = null);

    /// <summary>Input the caller got wrong (<c>ValidationException</c>, a malformed JSON body).</summary>
    int ValidationStatus => StatusCodes.Status400BadRequest;

    /// <summary>Something the caller named does not exist (<c>NotFoundException</c>).</summary>
    int NotFoundStatus => StatusCodes.Status404NotFound;

    /// <summary>A well-formed request the current state refuses (<c>ConflictException</c>, a lost optimistic-concurrency race).</summary>
    int ConflictStatus => StatusCodes.Status409Conflict;

    /// <summary>A create refused by a freeze window (<c>FrozenException</c>): the state refuses it, as a conflict does.</summary>
    int FrozenStatus => ConflictStatus;

    /// <summary>The id an operator quotes to find the request in the log.</summary>
    string RequestId(HttpContext context) => context.TraceIdentifier;
}

/// <summary>The dashboard's own API (<c>/api</c>): <c>{"error": "...", "field": "..."}</c>.</summary>
public sealed class JsonErrorFormat : IApiErrorFormat
{
    public static readonly JsonErrorFormat Instance = new();

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message, field });
    }
}

public static partial class ApiErrors
{
    // The paths each family owns, longest first. A request that no route matched (an unknown path,
    // a wrong verb) has no route-group metadata, yet its caller is still that family's client and
    // must get that family's error body, never the dashboard's HTML "not found" page. Pages under
    // a claimed path (/batches, /batches/new) keep theirs: a matched route's own metadata decides.
    private static readonly (PathString Prefix, IApiErrorFormat Format)[] Families =
    [
        .. new (string Prefix, IApiErrorFormat Format)[]
        {
            ("/api/devices", MenderErrorFormat.Instance),
            ("/api/management", MenderErrorFormat.Instance),
            ("/api", JsonErrorFormat.Instance),
            ("/healthz", JsonErrorFormat.Instance),
            ("/v1", NomadErrorFormat.Instance),
            ("/data", BigPandaErrorFormat.Instance),
            ("/projects", PacketErrorFormat.Instance),
            ("/batches", PacketErrorFormat.Instance),
            ("/devices", PacketErrorFormat.Instance),
            ("/facilities", PacketErrorFormat.Instance),
            ("/plans", PacketErrorFormat.Instance),
            ("/operating-systems", PacketErrorFormat.Instance),
            ("/capacity", PacketErrorFormat.Instance),
        }
        .OrderByDescending(f => f.Prefix.Length)
        .Select(f => (new PathString(f.Prefix), f.Format)),
    ];

    /// <summary>
    /// The error format of the API family serving this request: the route group's metadata, else
    /// the family owning the path; null for the dashboard's pages.
    /// </summary>
    public static IApiErrorFormat? FormatFor(HttpContext context, Endpoint? endpoint = null)
    {
        endpoint ??= context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<IApiErrorFormat>() is { } format) return format;
        // A page, hub or dashboard route answers its own way; only "no route" and routing's own
        // 405 endpoint (a plain Endpoint, not a RouteEndpoint) fall back to the path's family.
        if (endpoint is RouteEndpoint) return null;
        return FormatForPath(context.Request.Path);
    }

    /// <summary>The error format of the API family that owns <paramref name="path"/>; null outside every family.</summary>
    public static IApiErrorFormat? FormatForPath(PathString path)
    {
        foreach (var (prefix, family) in Families)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)) return family;
        }
        return null;
    }

    public static bool IsApiRequest(HttpContext context) => FormatFor(context) is not null;

    public static Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        LogRefused(context, status, message, field);
        return (FormatFor(context) ?? JsonErrorFormat.Instance).WriteAsync(context, status, message, field);
    }

    /// <summary>
    /// The one log line for a refused API request: what was asked, the answer, and why, in the
    /// request's logging scope (so with its request id). Unexpected failures are logged by
    /// <see cref="ApiExceptionHandler"/> as errors instead.
    /// </summary>
    public static void LogRefused(HttpContext context, int status, string message, string? field = null)
    {
        if (context.RequestServices?.GetService(typeof(ILoggerFactory)) is not ILoggerFactory factory) return;
        Refused(factory.CreateLogger(typeof(ApiErrors).FullName!), context.Request.Method, context.Request.Path, status, field ?? "-", message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path} with {Status} (field {Field}): {Reason}")]
    private static partial void Refused(ILogger logger, string method, string path, int status, string field, string reason);

    /// <summary>An <see cref="IResult"/> that writes the error in the endpoint's format.</summary>
    public static IResult Result(int status, string message, string? field = null) => new ErrorResult(status, message, field);

    /// <summary>The words for a status that carries no message of its own (an unknown path, a wrong verb).</summary>
    public static string Describe(int status) => status switch
    {
        StatusCodes.Status404NotFound => "Not found: no such API path.",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed on this API path.",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase + "." : $"HTTP {status}.",
    };

    private sealed class ErrorResult(int status, string message, string? field) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, message, field);
    }
}
