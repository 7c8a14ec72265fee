using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Dashboard.App.Api;

/// <summary>
/// One OpenAPI document per API family, served at <c>/openapi/{family}.json</c>, and Scalar's
/// reference over all of them at <c>/docs</c>. An endpoint belongs to the family whose error
/// format its route group carries, else to the family owning its path (<see cref="ApiErrors"/>,
/// the same mapping that decides the error bodies), so no endpoint file names its document.
/// The error answers endpoints do not declare themselves are added here, with an example body
/// written by the family's own <see cref="IApiErrorFormat"/>.
/// </summary>
public static class ApiDocuments
{
    public sealed record Family(string Name, string Title, IApiErrorFormat Format);

    public static readonly IReadOnlyList<Family> Families =
    [
        new("packet", "Packet (batches of devices)", PacketErrorFormat.Instance),
        new("mender", "Mender (phased rollouts)", MenderErrorFormat.Instance),
        new("nomad", "Nomad (canary deployments)", NomadErrorFormat.Instance),
        new("bigpanda", "BigPanda (change events)", BigPandaErrorFormat.Instance),
        new("dashboard", "Dashboard (/api)", JsonErrorFormat.Instance),
    ];

    public static IServiceCollection AddApiDocuments(this IServiceCollection services)
    {
        foreach (var family in Families)
        {
            services.AddOpenApi(family.Name, options =>
            {
                options.ShouldInclude = description => FormatOf(description) == family.Format;
                options.AddDocumentTransformer((document, _, _) =>
                {
                    document.Info.Title = family.Title;
                    document.Info.Description = $"The {family.Title} API of the deployment dashboard, at the anchor's own paths, verbs and error bodies.";
                    return Task.CompletedTask;
                });
                options.AddOperationTransformer((operation, context, ct) => AddErrorAnswersAsync(operation, context, family.Format));
            });
        }
        return services;
    }

    /// <summary>The documents at <c>/openapi/{family}.json</c> and Scalar at <c>/docs</c>.</summary>
    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", options =>
        {
            // A control plane on a private network: no fonts, telemetry, AI agent or hosted tools called from outside (the CSP refuses them too).
            options.WithTitle("Dashboard APIs").DisableDefaultFonts().DisableTelemetry().DisableAgent().DisableMcp().HideDeveloperTools();
            foreach (var family in Families) options.AddDocument(family.Name, family.Title);
        });
        return app;
    }

    private static IApiErrorFormat? FormatOf(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description) =>
        description.ActionDescriptor.EndpointMetadata.OfType<IApiErrorFormat>().LastOrDefault()
        ?? ApiErrors.FormatForPath("/" + (description.RelativePath ?? "").TrimStart('/'));

    private static async Task AddErrorAnswersAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, IApiErrorFormat format)
    {
        var description = context.Description;
        var writes = description.HttpMethod is "POST" or "PUT" or "PATCH" or "DELETE";
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var answers = new List<(int Status, string Description, string Example)>();
        if (metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any())
            answers.Add((StatusCodes.Status401Unauthorized, "Missing or invalid API token.", "Missing API token."));
        if (writes || description.ParameterDescriptions.Count > 0)
            answers.Add((format.ValidationStatus, "The request is not valid: the message names what and why.", "name: must not be empty"));
        if (description.RelativePath?.Contains('{') == true)
            answers.Add((format.NotFoundStatus, "Something the request names does not exist.", "not found"));
        if (writes)
            answers.Add((format.ConflictStatus, "The current state refuses this action (or someone else changed it first).", "the current state refuses this action"));

        operation.Responses ??= [];
        foreach (var (status, text, example) in answers)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key)) continue;
            var (contentType, body) = await ExampleAsync(format, status, example, context.ApplicationServices);
            operation.Responses[key] = new OpenApiResponse
            {
                Description = text,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [contentType] = new() { Example = contentType.Contains("json") ? JsonNode.Parse(body) : JsonValue.Create(body) },
                },
            };
        }
    }

    // The family's own writer produces the example, so the documented error body cannot drift from the real one.
    private static async Task<(string ContentType, string Body)> ExampleAsync(IApiErrorFormat format, int status, string message, IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await format.WriteAsync(context, status, message);
        var contentType = (context.Response.ContentType ?? "text/plain").Split(';')[0];
        return (contentType, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
