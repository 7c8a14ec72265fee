namespace Dashboard.App.Api;

/// <summary>
/// An API family's error body. Each compatible API puts its own format on its route group
/// (<c>.WithMetadata(...)</c>), so authentication failures and validation errors look the same
/// as the anchor's: Packet <c>{"errors":[...]}</c>, Mender <c>{"error","request_id"}</c>,
/// Nomad plain text, BigPanda <c>{"status","error"}</c>.
/// </summary>
public interface IApiErrorFormat
{
    Task WriteAsync(HttpContext context, int status, string message, string? field = null);
}

/// <summary>The default: <c>{"error": "...", "field": "..."}</c>.</summary>
public sealed class JsonErrorFormat : IApiErrorFormat
{
    public static readonly JsonErrorFormat Instance = new();

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message, field });
    }
}

public static class ApiErrors
{
    public static Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        var format = context.GetEndpoint()?.Metadata.GetMetadata<IApiErrorFormat>() ?? JsonErrorFormat.Instance;
        return format.WriteAsync(context, status, message, field);
    }

    /// <summary>An <see cref="IResult"/> that writes the error in the endpoint's format.</summary>
    public static IResult Result(int status, string message, string? field = null) => new ErrorResult(status, message, field);

    private sealed class ErrorResult(int status, string message, string? field) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, message, field);
    }

}
