using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Data.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookRunner>();
        services.AddSingleton<IWorkRunner>(sp => sp.GetRequiredService<WebhookRunner>());
        return services;
    }
}
