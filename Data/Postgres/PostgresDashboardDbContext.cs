using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Postgres;

/// <summary>
/// The same model on PostgreSQL. A subclass only so that EF Core keeps its migrations
/// (<c>Data/Migrations/Postgres</c>) apart from the SQLite ones; code always sees <see cref="DashboardDbContext"/>.
/// </summary>
public sealed class PostgresDashboardDbContext(DbContextOptions<PostgresDashboardDbContext> options) : DashboardDbContext(options);
