using Dashboard.Data.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(WebhookSettings.Section).Get<WebhookSettings>() ?? new WebhookSettings());
        services.AddSingleton<WebhookAddresses>();
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookRunner>();
        services.AddSingleton<IWorkRunner>(sp => sp.GetRequiredService<WebhookRunner>());
        return services;
    }
}
