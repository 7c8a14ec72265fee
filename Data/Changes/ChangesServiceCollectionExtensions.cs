using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Data.Changes;

public static class ChangesServiceCollectionExtensions
{
    /// <summary>The changes capability: <see cref="ChangeService"/> and its single writer.</summary>
    public static IServiceCollection AddChanges(this IServiceCollection services)
    {
        services.AddSingleton<ChangeService>();
        return services;
    }
}
