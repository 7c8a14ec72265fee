namespace Dashboard.App.Realtime;

/// <summary>
/// The rows a live page shows: at most <c>capacity</c>, in the page's order (newest first), plus an
/// honest count of the matching rows that are not shown (<see cref="Hidden"/>, the page's "N more").
/// It keeps references to the rows only, never a copy of everything that arrived since the page
/// opened. Each change replaces <see cref="Rows"/> with a new list, so keyed row components can
/// skip rendering rows whose object did not change.
/// </summary>
public sealed class LiveWindow<T, TKey>(int capacity, Func<T, TKey> key, IComparer<T> order)
    where T : class
    where TKey : notnull
{
    private List<T> _rows = [];

    public int Capacity { get; } = capacity;

    public IReadOnlyList<T> Rows => _rows;

    /// <summary>Every matching row, shown or not, as far as the page knows.</summary>
    public long Total { get; private set; }

    /// <summary>Matching rows that are not on screen: older than the last row shown, or folded during a burst.</summary>
    public long Hidden => Math.Max(0, Total - _rows.Count);

    /// <summary>The result of the page's query: the first rows and how many match in all.</summary>
    public void Reset(IEnumerable<T> rows, long total)
    {
        _rows = [.. rows.Take(Capacity)];
        Total = Math.Max(total, _rows.Count);
    }

    /// <summary>
    /// Inserts or replaces rows by key, keeps the first <see cref="Capacity"/> in order, and adds
    /// <paramref name="added"/> to <see cref="Total"/> (rows that are new to the page, shown or folded).
    /// Returns true when what is shown changed.
    /// </summary>
    public bool Apply(IReadOnlyCollection<T> incoming, long added)
    {
        Total += added;
        if (incoming.Count == 0) return added > 0;
        var byKey = new Dictionary<TKey, T>(incoming.Count);
        foreach (var row in incoming) byKey[key(row)] = row;
        var merged = new List<T>(Math.Min(_rows.Count + byKey.Count, Capacity + byKey.Count));
        foreach (var row in _rows)
        {
            if (!byKey.ContainsKey(key(row))) merged.Add(row);
        }
        merged.AddRange(byKey.Values);
        merged.Sort(order);
        if (merged.Count > Capacity) merged.RemoveRange(Capacity, merged.Count - Capacity);
        var changed = merged.Count != _rows.Count || merged.Where((row, i) => !ReferenceEquals(row, _rows[i])).Any();
        _rows = merged;
        Total = Math.Max(Total, _rows.Count);
        return changed || added > 0;
    }

    /// <summary>Sets the total from a fresh count (pages whose rows change in place cannot count arrivals exactly).</summary>
    public void Recount(long total) => Total = Math.Max(total, _rows.Count);
}
