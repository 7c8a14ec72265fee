using Dashboard.Data.Batches;
using Dashboard.Jobs.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Jobs.Batches;

public static class BatchJobsServiceCollectionExtensions
{
    public static IServiceCollection AddBatchJobs(this IServiceCollection services)
    {
        services.AddSingleton<IBatchQueue, HangfireBatchQueue>();
        services.AddTransient<BatchWorkerJob>();
        services.AddSingleton<IReconcileStep, BatchReconcileStep>();
        return services;
    }
}
