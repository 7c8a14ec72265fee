using Dashboard.Jobs.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Jobs.Batches;

public static class BatchJobsServiceCollectionExtensions
{
    /// <summary>Batches run as <see cref="Data.Batches.BatchRunner"/> work; what Jobs adds is the reconcile step.</summary>
    public static IServiceCollection AddBatchJobs(this IServiceCollection services) =>
        services.AddSingleton<IReconcileStep, BatchReconcileStep>();
}
