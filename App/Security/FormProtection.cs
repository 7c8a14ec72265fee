using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics;

namespace Dashboard.App.Security;

/// <summary>
/// Form posts that did not come from one of our pages (no antiforgery token, a stale or forged one)
/// are refused here with a plain 400, before any endpoint binds the form. Left to the endpoints, the
/// form binder throws, the exception handler re-executes the error page as a POST, and that page
/// fails on the same form again: a 500 and an error in the log for something a client sent.
/// </summary>
public static partial class FormProtection
{
    public const string RefusedMessage =
        "This form has expired or was not sent from this site. Reload the page and try again.";

    /// <summary>Right after <c>UseAntiforgery</c>, which records the verdict without acting on it.</summary>
    public static IApplicationBuilder UseFormProtection(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FormProtection).FullName!);
            Refused(logger, context.Request.Method, context.Request.Path);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            if (context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                // A person at a browser gets the same words and a way back to a fresh form.
                context.Response.ContentType = "text/html; charset=utf-8";
                var back = System.Net.WebUtility.HtmlEncode(context.Request.Path.Value ?? "/");
                await context.Response.WriteAsync(
                    $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Form expired · Dashboard</title></head>" +
                    $"<body><h1>Form expired</h1><p>{System.Net.WebUtility.HtmlEncode(RefusedMessage)}</p><p><a href=\"{back}\">Open the form again</a></p></body></html>",
                    context.RequestAborted);
                return;
            }
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(RefusedMessage, context.RequestAborted);
            return;
        }
        await next(context);
    });

    /// <summary>
    /// Right after the page-level exception and status-code handlers: their re-executions (the
    /// <c>/error</c> and <c>/not-found</c> pages) render as GETs, so a failed form post never makes
    /// the error page read that form again.
    /// </summary>
    public static IApplicationBuilder UseErrorPagesAsGets(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var reExecuted = context.Features.Get<IExceptionHandlerFeature>() is not null
            || context.Features.Get<IStatusCodeReExecuteFeature>() is not null;
        if (reExecuted && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.Method = HttpMethods.Get;
        }
        return next(context);
    });

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused form {Method} {Path} with 400: missing or invalid antiforgery token")]
    private static partial void Refused(ILogger logger, string method, string path);
}
