using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Audit;

public static class AuditServiceCollectionExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.TryAddSingleton<IActorContext, AmbientActorContext>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditService>();
        return services;
    }
}
