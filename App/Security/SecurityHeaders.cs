using System.Security.Cryptography;

namespace Dashboard.App.Security;

/// <summary>
/// The headers every answer carries: no content sniffing, no referrer outside the site, and on
/// HTML a content security policy that the Blazor pages, MudBlazor, Scalar's <c>/docs</c> and the
/// Hangfire dashboard work under. Scripts come from the site itself, plus the import map Blazor
/// writes inline, which carries this response's nonce. Styles allow inline: MudBlazor sets
/// <c>style</c> attributes on its components and Blazor's reconnect dialog injects a style sheet.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceItem = "dashboard.csp-nonce";

    /// <summary>The nonce of this response's policy, for the few inline scripts the framework writes.</summary>
    public static string CspNonce(this HttpContext context)
    {
        if (context.Items[NonceItem] is string nonce) return nonce;
        nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceItem] = nonce;
        return nonce;
    }

    public static string Policy(PathString path, string nonce) =>
        "default-src 'self'; " +
        (path.StartsWithSegments("/docs")
            // Scalar's page configures itself in an inline script and its bundle compiles schemas
            // with eval. It is a static, read-only reference page with nothing of the user's on it.
            ? "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
            : $"script-src 'self' 'nonce-{nonce}'; ") +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "object-src 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        // Only our own pages may frame us (the clickjacking defence the antiforgery X-Frame-Options also gives).
        "frame-ancestors 'self'";

    /// <summary>Set when the answer starts, so error pages and re-executed answers carry them too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
            {
                headers.ContentSecurityPolicy = Policy(context.Request.Path, context.CspNonce());
            }
            return Task.CompletedTask;
        }, context);
        return next(context);
    });
}
