using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Data.Work;

public static class WorkServiceCollectionExtensions
{
    /// <summary>The spine for running work: the state recorder, the progress notifier and a scheduler the job server replaces.</summary>
    public static IServiceCollection AddWork(this IServiceCollection services)
    {
        services.TryAddSingleton<IWorkScheduler, RecordingWorkScheduler>();
        services.AddSingleton<StateRecorder>();
        services.AddSingleton<ProgressNotifier>();
        return services;
    }
}
