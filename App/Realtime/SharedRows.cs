using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;

namespace Dashboard.App.Realtime;

/// <summary>
/// A row of a live list as every open page shows it: the item and its HTML, encoded once.
/// A page keeps a reference to the row and renders <see cref="Markup"/> as one render-tree frame,
/// instead of a component per row with its own state and two render-tree buffers per circuit.
/// </summary>
public sealed class SharedRow<T>(T item, string markup)
    where T : class
{
    public T Item { get; } = item;

    public MarkupString Markup { get; } = new(markup);
}

/// <summary>
/// The rows of live lists, shared by every circuit (see docs/ARCHITECTURE.md, "Live pages"): the
/// same entry shown on a hundred open pages is one item and one encoded string in memory, not a
/// hundred copies, and its markup is built once, not once per page. Keyed by what identifies the
/// row's content (an id for rows that never change, id and version for rows that do). Bounded:
/// beyond <c>capacity</c> rows, the oldest added are forgotten (pages that still show them keep
/// their reference; a page that asks again gets a new one).
/// </summary>
public class SharedRows<T, TKey>(Func<T, TKey> key, Func<T, string> markup, int capacity)
    where T : class
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, SharedRow<T>> _rows = new();
    private readonly ConcurrentQueue<TKey> _added = new();

    /// <summary>Rows whose markup was built so far (tests check that a row is built once, not once per page).</summary>
    public long Built => Interlocked.Read(ref _built);
    private long _built;

    public int Count => _rows.Count;

    /// <summary>The shared row for <paramref name="item"/>: the one already known under its key, or a new one built from it.</summary>
    public SharedRow<T> Get(T item)
    {
        var k = key(item);
        if (_rows.TryGetValue(k, out var row)) return row;
        row = new SharedRow<T>(item, markup(item));
        Interlocked.Increment(ref _built);
        var shared = _rows.GetOrAdd(k, row);
        if (!ReferenceEquals(shared, row)) return shared;
        _added.Enqueue(k);
        while (_rows.Count > capacity && _added.TryDequeue(out var oldest)) _rows.TryRemove(oldest, out _);
        return row;
    }

    public List<SharedRow<T>> GetAll(IEnumerable<T> items) => [.. items.Select(Get)];
}
