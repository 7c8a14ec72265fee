using Dashboard.Data.Suspects;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Attention;

public static class AttentionServiceCollectionExtensions
{
    /// <summary>The operator's cockpit reads: the attention inbox and suspect changes, with their settings (<c>Dashboard:Attention</c>).</summary>
    public static IServiceCollection AddAttention(this IServiceCollection services)
    {
        // Read when first resolved, so hosts built by tests can override the settings late.
        services.TryAddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(AttentionSettings.Section).Get<AttentionSettings>() ?? new AttentionSettings());
        services.AddSingleton<AttentionService>();
        services.AddSingleton<SuspectService>();
        return services;
    }
}
