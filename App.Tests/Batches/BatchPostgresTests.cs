using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Batches;

/// <summary>Batch reservations on PostgreSQL, where transactions are not serialised as on SQLite: the capacity claim is what refuses overbooking.</summary>
public sealed class BatchPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task ConcurrentBatches_NeverOverbookAFacility_OnPostgres()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        await using var services = await BatchServiceTests.SeededAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });

        await BatchServiceTests.TenConcurrentBatchesIntoRoomForFourAsync(services);
    }
}
