using System.Text;
using Microsoft.AspNetCore.Components;

namespace Dashboard.App.Realtime;

/// <summary>
/// The rows of an append-only live list (committed timeline entries never change), drawn in blocks:
/// the rows of one delivery become one block, one markup frame, so the browser parses and inserts a
/// delivery at once instead of row by row (see docs/BENCHMARKS.md, "Live pages at scale", ninth session).
/// Blocks are immutable once drawn and leave the page whole: the list shows at least
/// <c>capacity</c> rows and fewer than twice that, and <see cref="Hidden"/> counts the rest honestly.
/// A row that arrives late (an id older than the newest shown) redraws only the block it falls into.
/// </summary>
public sealed class LiveBlocks<T>(int capacity, Func<T, long> key)
    where T : class
{
    /// <summary>A delivery's rows, newest first, and their markup. <see cref="Key"/> never changes, so the page can key on it.</summary>
    public sealed class Block(long blockKey, IReadOnlyList<SharedRow<T>> rows, MarkupString markup)
    {
        public long Key { get; } = blockKey;
        public IReadOnlyList<SharedRow<T>> Rows { get; } = rows;
        public MarkupString Markup { get; } = markup;
    }

    private List<Block> _blocks = [];

    public int Capacity { get; } = capacity;

    /// <summary>Newest block first.</summary>
    public IReadOnlyList<Block> Blocks => _blocks;

    public int Shown => _blocks.Sum(b => b.Rows.Count);

    /// <summary>Every matching row, shown or not, as far as the page knows.</summary>
    public long Total { get; private set; }

    /// <summary>Matching rows that are not on screen: older than the last row shown, or folded during a burst.</summary>
    public long Hidden => Math.Max(0, Total - Shown);

    /// <summary>The oldest row shown (the "N more" link continues below it).</summary>
    public SharedRow<T>? Oldest => _blocks.Count == 0 ? null : _blocks[^1].Rows[^1];

    /// <summary>The result of the page's query, newest first: one block.</summary>
    public void Reset(IEnumerable<SharedRow<T>> rows, long total)
    {
        var first = NewestFirst(rows).Take(Capacity).ToList();
        _blocks = first.Count == 0 ? [] : [Build(key(first[0].Item), first)];
        Total = Math.Max(total, Shown);
    }

    /// <summary>
    /// Adds a delivery: rows newer than everything shown become a new block at the top, late rows
    /// redraw the block they fall into, rows older than the oldest shown stay hidden. Whole blocks
    /// leave from the bottom while at least <see cref="Capacity"/> rows remain. <paramref name="added"/>
    /// is how many rows are new to the page, shown or folded. Returns true when the page must render.
    /// </summary>
    public bool Apply(IReadOnlyCollection<SharedRow<T>> incoming, long added)
    {
        Total += added;
        if (incoming.Count == 0) return added > 0;
        if (_blocks.Count == 0)
        {
            Reset(incoming, Total);
            return true;
        }
        var newest = key(_blocks[0].Rows[0].Item);
        var oldest = key(_blocks[^1].Rows[^1].Item);
        var fresh = NewestFirst(incoming.Where(r => key(r.Item) > newest)).Take(Capacity).ToList();
        var changed = Place([.. incoming.Where(r => key(r.Item) <= newest && key(r.Item) >= oldest)]);
        if (fresh.Count > 0)
        {
            _blocks.Insert(0, Build(key(fresh[0].Item), fresh));
            changed = true;
        }
        while (_blocks.Count > 1 && Shown - _blocks[^1].Rows.Count >= Capacity) _blocks.RemoveAt(_blocks.Count - 1);
        Total = Math.Max(Total, Shown);
        return changed || added > 0;
    }

    /// <summary>
    /// Puts late rows into the blocks whose range holds their keys (a key between two blocks joins the
    /// older one), replacing rows with the same key; each block that changed is rebuilt once.
    /// </summary>
    private bool Place(List<SharedRow<T>> late)
    {
        var changed = false;
        for (var i = 0; i < _blocks.Count && late.Count > 0; i++)
        {
            var block = _blocks[i];
            var floor = i < _blocks.Count - 1 ? key(block.Rows[^1].Item) : long.MinValue;
            var mine = late.Where(r => key(r.Item) >= floor).ToList();
            if (mine.Count == 0) continue;
            late.RemoveAll(r => key(r.Item) >= floor);
            var shown = block.Rows.ToDictionary(r => key(r.Item));
            if (mine.All(r => shown.TryGetValue(key(r.Item), out var same) && ReferenceEquals(same, r))) continue;
            foreach (var row in mine) shown[key(row.Item)] = row;
            _blocks[i] = Build(block.Key, [.. shown.Values.OrderByDescending(r => key(r.Item))]);
            changed = true;
        }
        return changed;
    }

    private IEnumerable<SharedRow<T>> NewestFirst(IEnumerable<SharedRow<T>> rows) =>
        rows.DistinctBy(r => key(r.Item)).OrderByDescending(r => key(r.Item));

    private Block Build(long blockKey, List<SharedRow<T>> rows)
    {
        var html = new StringBuilder(rows.Sum(r => r.Markup.Value.Length));
        foreach (var row in rows) html.Append(row.Markup.Value);
        return new Block(blockKey, rows, new MarkupString(html.ToString()));
    }
}
