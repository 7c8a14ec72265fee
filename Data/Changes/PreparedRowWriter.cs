using System.Data.Common;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Data.Changes;

/// <summary>
/// Commits the change writer's batch with commands prepared once per connection, instead of
/// <c>SaveChanges</c>. At a few hundred events a second every event is its own commit, and SaveChanges
/// then spent most of the writer's CPU building what is the same two statements every time: SQL
/// generated per row, a new command per row (which SQLite parses again), the modification pipeline and
/// accepting changes (docs/BENCHMARKS.md, "Change-event ingest", tenth session).
/// <para>
/// It writes what the change rules produce and nothing else: added <see cref="Change"/>s and
/// <see cref="TimelineEntry"/>s, modified changes (only the columns that changed, as SaveChanges does),
/// and the webhook outbox rows the timeline entries get. Anything else tracked (another entity, a
/// delete) and the caller uses SaveChanges. Columns, tables and parameter types come from the EF model
/// and its type mappings, so a stored row is the same as SaveChanges would store (ChangeWriterTests
/// compares them column by column on SQLite and PostgreSQL). The timeline publication and the outbox
/// run as <see cref="TimelinePublisher"/> runs them for SaveChanges: outbox rows in the same
/// transaction, entries published only after the commit.
/// </para>
/// </summary>
internal sealed class PreparedRowWriter(TimelinePublisher publisher)
{
    // Built from the model on first use; each writer serves one app host, so one provider and one model.
    private Tables? _tables;
    private bool _described;
    // Bound to the connection they were prepared on; rebuilt when the writer opens another one.
    private Commands? _commands;

    /// <summary>
    /// Writes the tracked batch in one transaction and publishes its timeline entries; false, with
    /// nothing written or staged, when the tracker holds something this writer does not write.
    /// </summary>
    public async Task<bool> TrySaveAsync(DashboardDbContext db, CancellationToken ct)
    {
        if (!_described)
        {
            _tables = Tables.From(db);
            _described = true;
        }
        if (_tables is not { } tables) return false;

        var addedChanges = new List<Change>();
        var modifiedChanges = new List<EntityEntry>();
        var addedEntries = new List<TimelineEntry>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            switch (entry.State, entry.Entity)
            {
                case (EntityState.Unchanged, _):
                    break;
                case (EntityState.Added, Change change):
                    addedChanges.Add(change);
                    break;
                case (EntityState.Modified, Change):
                    modifiedChanges.Add(entry);
                    break;
                case (EntityState.Added, TimelineEntry timelineEntry):
                    addedEntries.Add(timelineEntry);
                    break;
                default:
                    return false;
            }
        }

        List<WebhookDelivery> deliveries = [];
        // The change writer keeps its connection open from one batch to the next; anyone else gets it opened and closed here.
        var opened = db.Database.GetDbConnection().State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Outbox rows are added to the tracker here, as the SaveChanges interceptor adds them.
            await publisher.StageAsync(db, addedEntries, ct);
            if (db.PendingWebhookQueues.Count > 0)
            {
                foreach (var entry in db.ChangeTracker.Entries<WebhookDelivery>())
                {
                    if (entry.State == EntityState.Added) deliveries.Add(entry.Entity);
                }
            }

            var connection = db.Database.GetDbConnection();
            var commands = _commands is { } kept && kept.Connection == connection ? kept : Replace(new Commands(connection))!;
            await using (var transaction = await connection.BeginTransactionAsync(ct))
            {
                foreach (var change in addedChanges) await commands.InsertAsync(tables.Changes, change, transaction, ct);
                foreach (var entry in modifiedChanges) await commands.UpdateAsync(tables.Changes, entry, transaction, ct);
                foreach (var timelineEntry in addedEntries)
                {
                    timelineEntry.Id = await commands.InsertReturningKeyAsync(tables.Timeline, timelineEntry, transaction, ct);
                }
                foreach (var delivery in deliveries)
                {
                    delivery.TimelineEntryId = delivery.TimelineEntry?.Id ?? delivery.TimelineEntryId;
                    await commands.InsertAsync(tables.Deliveries, delivery, transaction, ct);
                }
                await transaction.CommitAsync(ct);
            }
        }
        catch (Exception ex)
        {
            TimelinePublisher.RolledBack(db);
            // Callers (and the API's error mapping) know a refused commit as SaveChanges reports it.
            if (ex is DbException) throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", ex);
            throw;
        }
        finally
        {
            if (opened)
            {
                Forget();
                await db.Database.CloseConnectionAsync();
            }
        }

        // The entities now hold their stored values (generated ids included) and nothing is pending; the
        // tracker's own record of them (temporary keys, Added states) must not be mistaken for work.
        db.ChangeTracker.Clear();
        publisher.Committed(db);
        return true;
    }

    /// <summary>Lets go of the prepared commands: the writer is closing the connection they were prepared on.</summary>
    public void Forget() => Replace(null);

    private Commands? Replace(Commands? commands)
    {
        _commands?.Dispose();
        return _commands = commands;
    }

    /// <summary>The three tables this writer writes, described from the model.</summary>
    private sealed record Tables(Table Changes, Table Timeline, Table Deliveries)
    {
        public static Tables? From(DashboardDbContext db)
        {
            var sql = db.GetService<ISqlGenerationHelper>();
            var changes = Table.From(db.Model, typeof(Change), sql);
            var timeline = Table.From(db.Model, typeof(TimelineEntry), sql);
            var deliveries = Table.From(db.Model, typeof(WebhookDelivery), sql);
            // A key generated by the database is read back only for the timeline, whose ids live pages and other nodes use.
            return changes is { StoreKey: null } && timeline is { StoreKey: not null } && deliveries is { StoreKey: null }
                ? new Tables(changes, timeline, deliveries)
                : null;
        }
    }

    private sealed record Column(IProperty Property, RelationalTypeMapping Mapping, IClrPropertyGetter Getter, string Parameter);

    private sealed class Table
    {
        private readonly Dictionary<ulong, string> _updates = [];
        private readonly ISqlGenerationHelper _sql;

        private Table(string name, Column[] columns, Column key, IProperty? storeKey, ISqlGenerationHelper sql)
        {
            Name = name;
            Columns = columns;
            Key = key;
            StoreKey = storeKey;
            _sql = sql;
            var inserted = columns.Where(c => c.Property != storeKey).ToArray();
            Inserted = inserted;
            Insert = $"INSERT INTO {name} ({string.Join(", ", inserted.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName())))}) " +
                $"VALUES ({string.Join(", ", inserted.Select(c => sql.GenerateParameterNamePlaceholder(c.Parameter)))})" +
                (storeKey is null ? "" : $" RETURNING {sql.DelimitIdentifier(storeKey.GetColumnName())}");
        }

        public string Name { get; }
        public Column[] Columns { get; }
        public Column[] Inserted { get; }
        public Column Key { get; }
        /// <summary>The key the database generates, or null when every key value comes from the application.</summary>
        public IProperty? StoreKey { get; }
        public string Insert { get; }

        /// <summary>The UPDATE for one set of modified columns (a bit per column), made once per set.</summary>
        public string Update(ulong modified)
        {
            if (_updates.TryGetValue(modified, out var text)) return text;
            var set = Columns.Where((_, i) => (modified & (1UL << i)) != 0)
                .Select(c => $"{_sql.DelimitIdentifier(c.Property.GetColumnName())} = {_sql.GenerateParameterNamePlaceholder(c.Parameter)}");
            text = $"UPDATE {Name} SET {string.Join(", ", set)} WHERE {_sql.DelimitIdentifier(Key.Property.GetColumnName())} = {_sql.GenerateParameterNamePlaceholder(Key.Parameter)}";
            _updates[modified] = text;
            return text;
        }

        /// <summary>Null when the type has something this writer would store differently from SaveChanges.</summary>
        public static Table? From(IModel model, Type clrType, ISqlGenerationHelper sql)
        {
            var type = model.FindEntityType(clrType);
            if (type?.GetTableName() is not { } tableName || type.FindPrimaryKey() is not { Properties: [var keyProperty] }) return null;
            if (type.GetDeclaredTriggers().Any() || type.GetComplexProperties().Any() || type.GetNavigations().Any(n => n.TargetEntityType.IsOwned())) return null;
            var properties = type.GetProperties().ToArray();
            if (properties.Length > 64) return null;
            IProperty? storeKey = null;
            var columns = new List<Column>();
            foreach (var property in properties)
            {
                // Shadow values, concurrency tokens and values the database computes are SaveChanges' business.
                if (property.IsShadowProperty() || property.IsConcurrencyToken || property.GetComputedColumnSql() is not null) return null;
                if (property.ValueGenerated != ValueGenerated.Never && property.ClrType != typeof(Guid))
                {
                    if (property != keyProperty || property.ClrType != typeof(long)) return null;
                    storeKey = property;
                }
                if (property.GetRelationalTypeMapping() is not RelationalTypeMapping mapping) return null;
                columns.Add(new Column(property, mapping, property.GetGetter(), "p" + columns.Count));
            }
            var key = columns.Single(c => c.Property == keyProperty);
            return new Table(sql.DelimitIdentifier(tableName, type.GetSchema()), [.. columns], key, storeKey, sql);
        }
    }

    /// <summary>Commands kept from one batch to the next: a command keeps its prepared statement while its text stays the same.</summary>
    private sealed class Commands(DbConnection connection) : IDisposable
    {
        private readonly Dictionary<string, DbCommand> _byText = [];

        public DbConnection Connection { get; } = connection;

        public async Task InsertAsync(Table table, object entity, DbTransaction transaction, CancellationToken ct) =>
            await Insert(table, entity, transaction).ExecuteNonQueryAsync(ct);

        public async Task<long> InsertReturningKeyAsync(Table table, object entity, DbTransaction transaction, CancellationToken ct) =>
            Convert.ToInt64(await Insert(table, entity, transaction).ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);

        public async Task UpdateAsync(Table table, EntityEntry entry, DbTransaction transaction, CancellationToken ct)
        {
            var modified = 0UL;
            for (var i = 0; i < table.Columns.Length; i++)
            {
                if (entry.Property(table.Columns[i].Property).IsModified) modified |= 1UL << i;
            }
            if (modified == 0) return;
            var command = Prepare(table.Update(modified), transaction);
            for (var i = 0; i < table.Columns.Length; i++)
            {
                if ((modified & (1UL << i)) != 0) Add(command, table.Columns[i], entry.Entity);
            }
            Add(command, table.Key, entry.Entity);
            // As SaveChanges: a row that is not there any more fails the commit rather than passing silently.
            if (await command.ExecuteNonQueryAsync(ct) != 1)
                throw new DbUpdateConcurrencyException($"The change {table.Key.Getter.GetClrValue(entry.Entity)} was not found to update.");
        }

        private DbCommand Insert(Table table, object entity, DbTransaction transaction)
        {
            var command = Prepare(table.Insert, transaction);
            foreach (var column in table.Inserted) Add(command, column, entity);
            return command;
        }

        private DbCommand Prepare(string text, DbTransaction transaction)
        {
            if (!_byText.TryGetValue(text, out var command))
            {
                command = Connection.CreateCommand();
                command.CommandText = text;
                _byText[text] = command;
            }
            command.Transaction = transaction;
            command.Parameters.Clear();
            return command;
        }

        private static void Add(DbCommand command, Column column, object entity) =>
            command.Parameters.Add(column.Mapping.CreateParameter(command, column.Parameter, column.Getter.GetClrValue(entity), column.Property.IsNullable));

        public void Dispose()
        {
            foreach (var command in _byText.Values) command.Dispose();
            _byText.Clear();
        }
    }
}
