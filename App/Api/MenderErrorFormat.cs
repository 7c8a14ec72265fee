namespace Dashboard.App.Api;

/// <summary>
/// Mender's error body, <c>{"error": "...", "request_id": "..."}</c>, with the same id in the
/// <c>X-MEN-RequestID</c> response header (mender openapi.yaml, schema <c>Error</c>).
/// </summary>
public sealed class MenderErrorFormat : IApiErrorFormat
{
    public static readonly MenderErrorFormat Instance = new();

    public string RequestId(HttpContext context) => MenderRequestId.Ensure(context);

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        var requestId = MenderRequestId.Ensure(context);
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new MenderError(message, requestId));
    }

    private sealed record MenderError(string error, string request_id);
}

/// <summary>
/// Mender's request id: the caller's <c>X-MEN-RequestID</c> when it sent one (so a client can
/// follow its own id through our log), else a new UUID; always echoed in the response header.
/// Mender routes call <see cref="Ensure"/> on every response, errors and successes alike.
/// </summary>
public static class MenderRequestId
{
    public const string Header = "X-MEN-RequestID";

    private static readonly object ItemKey = new();

    public static string Ensure(HttpContext context)
    {
        // Kept in Items because the exception handler clears the response headers before it writes the error.
        if (context.Items[ItemKey] is not string id)
        {
            var sent = context.Request.Headers[Header].ToString().Trim();
            id = sent.Length is > 0 and <= 200 && !sent.Any(char.IsControl) ? sent : Guid.NewGuid().ToString();
            context.Items[ItemKey] = id;
        }
        if (!context.Response.HasStarted) context.Response.Headers[Header] = id;
        return id;
    }
}
