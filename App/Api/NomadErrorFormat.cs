using System.Text;

namespace Dashboard.App.Api;

/// <summary>
/// Nomad's error body: the message as plain text, with the status as given. The Go client reports
/// any non-200 as <c>Unexpected response code: &lt;code&gt; (&lt;body&gt;)</c>, so the text is what the
/// operator reads. A 403 says exactly what Nomad says, <c>Permission denied</c>; so does a missing or
/// unknown token, which Nomad answers with 403 too (never 401).
/// </summary>
public sealed class NomadErrorFormat : IApiErrorFormat
{
    public static readonly NomadErrorFormat Instance = new();

    public const string PermissionDenied = "Permission denied";

    public Task WriteAsync(HttpContext context, int status, string message, string? field = null)
    {
        if (status == StatusCodes.Status401Unauthorized) status = StatusCodes.Status403Forbidden;
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(status == StatusCodes.Status403Forbidden ? PermissionDenied : message, Encoding.UTF8);
    }
}
