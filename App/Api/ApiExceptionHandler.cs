using System.Data.Common;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Freezes;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Api;

/// <summary>
/// The one place where an API request's exception becomes an HTTP answer, written in the calling
/// family's <see cref="IApiErrorFormat"/> with the family's own status codes. Endpoints throw the
/// domain's exceptions and never catch them one by one. Requests for pages are left alone
/// (the developer page in Development, <c>/error</c> in Production).
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public const string ConcurrencyMessage = "Someone else changed this at the same moment; read it again and retry.";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware has cleared the endpoint by now; the feature keeps the one that threw.
        var format = ApiErrors.FormatFor(context, context.Features.Get<IExceptionHandlerFeature>()?.Endpoint);
        if (format is null) return false;

        var (status, message, field) = Map(format, exception);
        if (status == StatusCodes.Status500InternalServerError)
        {
            var requestId = format.RequestId(context);
            LogUnexpected(exception, context.Request.Method, context.Request.Path, requestId);
            message = $"An unexpected error occurred; it has been logged with request id {requestId}.";
        }
        else
        {
            ApiErrors.LogRefused(context, status, message, field);
        }
        // Tools that honour Retry-After learn when the freeze ends; the message says it to people.
        if (exception is FrozenException frozen) context.Response.Headers.RetryAfter = frozen.Until.ToString("R");
        else if (exception is TooManyAttemptsException throttled) context.Response.Headers.RetryAfter = throttled.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else if (status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = OverloadedRetryAfterSeconds;
        await format.WriteAsync(context, status, message, field);
        return true;
    }

    /// <summary>The status, message and field for an exception, in the family's terms; 500 for anything unexpected.</summary>
    public static (int Status, string Message, string? Field) Map(IApiErrorFormat format, Exception exception) => exception switch
    {
        ValidationException e => (format.ValidationStatus, e.Message, e.Field),
        NotFoundException e => (format.NotFoundStatus, e.Message, null),
        ConflictException e => (format.ConflictStatus, e.Message, null),
        FrozenException e => (format.FrozenStatus, e.Message, "freeze"),
        ForbiddenException e => (StatusCodes.Status403Forbidden, e.Message, null),
        TooManyAttemptsException e => (StatusCodes.Status429TooManyRequests, e.Message, null),
        DbUpdateConcurrencyException => (format.ConflictStatus, ConcurrencyMessage, null),
        // Minimal APIs wrap a body that does not bind; the JSON reader's reason is the useful part.
        BadHttpRequestException { InnerException: JsonException json } => (format.ValidationStatus, NotJson(json), "body"),
        // Kestrel's own refusals: too large (413), a malformed or truncated body (400), a wrong content type (415).
        BadHttpRequestException e => (e.StatusCode, e.Message, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "body" : null),
        JsonException e => (format.ValidationStatus, NotJson(e), "body"),
        // A JSON body declared in a charset .NET does not know (the body reader wraps the ArgumentException).
        InvalidOperationException { InnerException: ArgumentException } e when e.Message.Contains("charset", StringComparison.Ordinal) =>
            (StatusCodes.Status415UnsupportedMediaType, e.Message, "body"),
        // A multipart body that is not one (a missing boundary, a truncated part).
        InvalidDataException e => (format.ValidationStatus, "The request body is malformed: " + e.Message, "body"),
        _ when IsOverloaded(exception) => (StatusCodes.Status503ServiceUnavailable, OverloadedMessage, null),
        _ => (StatusCodes.Status500InternalServerError, "", null),
    };

    public const string OverloadedMessage = "The database is busy (too many connections or a full connection pool); nothing was changed. Retry shortly.";
    private const string OverloadedRetryAfterSeconds = "2";

    /// <summary>
    /// The database refused more work for now: PostgreSQL's too_many_connections and cannot_connect_now,
    /// a connection pool that stayed exhausted for its timeout, SQLite still busy after its timeout. The
    /// transaction did not commit, so a retry is safe; that is a 503, not an unexpected 500. Checked by
    /// SQL state for PostgreSQL, not by its exception type, so its assemblies stay unloaded on SQLite.
    /// </summary>
    public static bool IsOverloaded(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { SqlState: "53300" or "57P03" }) return true;
            if (e is DbException { InnerException: TimeoutException }) return true;
            if (e is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked }) return true;
        }
        return false;
    }

    private const int SqliteBusy = 5, SqliteLocked = 6;

    private static string NotJson(JsonException e) => $"The request body is not valid JSON: {e.Message}";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure answering {Method} {Path}; request id {RequestId}")]
    private partial void LogUnexpected(Exception exception, string method, string path, string requestId);
}

public static class ApiErrorPipeline
{
    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        services.AddExceptionHandler<ApiExceptionHandler>();
        // A body or parameter that does not bind throws instead of answering a bare 400 (the default
        // outside Development), so the caller reads the binder's reason in its own family's format.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>
    /// For API requests only: exceptions through <see cref="ApiExceptionHandler"/>, and error statuses
    /// that carry no body (an unknown path, a wrong verb, a bare <c>Results.NotFound()</c>) written in
    /// the family's format, never re-executed into a Razor page. Place it after the page-level
    /// exception and status-code handlers, so it runs inside them.
    /// </summary>
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) =>
        app.UseWhen(ApiErrors.IsApiRequest, api =>
        {
            api.Use(WriteBodylessErrorsAsync);
            api.UseExceptionHandler(new ExceptionHandlerOptions
            {
                // ApiExceptionHandler logs what is unexpected once, with the request id; the
                // middleware would log every mapped 404 and 422 as an error as well.
                SuppressDiagnosticsCallback = c => c.ExceptionHandledBy == ExceptionHandledType.ExceptionHandlerService,
            });
        });

    private static async Task WriteBodylessErrorsAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        await next(context);

        var response = context.Response;
        if (response.StatusCode < 400 || response.HasStarted || response.ContentLength is not null
            || !string.IsNullOrEmpty(response.ContentType) || HttpMethods.IsHead(context.Request.Method))
            return;
        var message = response.StatusCode == StatusCodes.Status400BadRequest ? UnparsedParameter(context) : null;
        await ApiErrors.WriteAsync(context, response.StatusCode, message ?? ApiErrors.Describe(response.StatusCode));
    }

    // Endpoints are compiled by the request delegate generator (App.csproj), which answers an optional
    // parameter that does not parse (`int? limit` from "lots") with a bare 400, where the run-time binder
    // threw its reason; give the caller the same reason. The generator records every parameter it binds.
    internal static string? UnparsedParameter(HttpContext context)
    {
        foreach (var parameter in context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Http.Metadata.IParameterBindingMetadata>() ?? [])
        {
            if (!parameter.HasTryParse || Nullable.GetUnderlyingType(parameter.ParameterInfo.ParameterType) is not { } type) continue;
            var value = context.GetRouteValue(parameter.Name)?.ToString() ?? context.Request.Query[parameter.Name].ToString();
            if (string.IsNullOrEmpty(value) || Parses(type, value)) continue;
            return $"Failed to bind parameter \"{Keyword(type)}? {parameter.Name}\" from \"{value}\".";
        }
        return null;
    }

    private static bool Parses(Type type, string value)
    {
        var withCulture = type.GetMethod("TryParse", [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]);
        object?[] arguments = withCulture is null ? [value, null] : [value, System.Globalization.CultureInfo.InvariantCulture, null];
        var tryParse = withCulture ?? type.GetMethod("TryParse", [typeof(string), type.MakeByRefType()]);
        return tryParse is null || tryParse.Invoke(null, arguments) is true;
    }

    private static string Keyword(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Int32 => "int",
        TypeCode.Int64 => "long",
        TypeCode.Boolean => "bool",
        TypeCode.Double => "double",
        TypeCode.Decimal => "decimal",
        _ => type.Name,
    };
}
