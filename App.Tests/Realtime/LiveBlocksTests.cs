using Dashboard.App.Components.Shared;
using Dashboard.App.Realtime;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Realtime;

public sealed class LiveBlocksTests
{
    private readonly TimelineRows _rows = new();

    private SharedRow<TimelineEntry> Row(long id) => _rows.Get(new TimelineEntry
    {
        Id = id, Source = TimelineSources.Changes, SubjectType = "change", SubjectId = $"c{id}",
        Status = TimelineStatuses.InProgress, Title = $"entry {id}",
    });

    private List<SharedRow<TimelineEntry>> Rows(params long[] ids) => [.. ids.Select(Row)];

    private static LiveBlocks<TimelineEntry> Blocks(int capacity) => new(capacity, e => e.Id);

    private static long[] Shown(LiveBlocks<TimelineEntry> blocks) => [.. blocks.Blocks.SelectMany(b => b.Rows).Select(r => r.Item.Id)];

    [Fact]
    public void Reset_ShowsTheNewestRowsAsOneBlock_AndCountsTheRest()
    {
        var blocks = Blocks(3);
        blocks.Reset(Rows(3, 5, 4, 1), total: 10);

        var block = Assert.Single(blocks.Blocks);
        Assert.Equal([5L, 4, 3], Shown(blocks));
        Assert.Equal(5, block.Key);
        Assert.Equal(string.Concat(Rows(5, 4, 3).Select(r => r.Markup.Value)), block.Markup.Value);
        Assert.Equal(7, blocks.Hidden);
        Assert.Equal(3, blocks.Oldest!.Item.Id);
    }

    [Fact]
    public void Delivery_BecomesOneNewBlockOnTop_AndLeavesTheBlocksBelowUntouched()
    {
        var blocks = Blocks(3);
        blocks.Reset(Rows(2, 1), total: 2);
        var first = blocks.Blocks[0];

        Assert.True(blocks.Apply(Rows(3, 4), added: 2));

        Assert.Equal(2, blocks.Blocks.Count);
        Assert.Equal(4, blocks.Blocks[0].Key);
        Assert.Same(first, blocks.Blocks[1]);
        Assert.Equal([4L, 3, 2, 1], Shown(blocks));
        Assert.Equal(0, blocks.Hidden);
    }

    [Fact]
    public void OldBlocksLeaveWhole_OnlyWhileAtLeastCapacityRowsRemain()
    {
        var blocks = Blocks(3);
        blocks.Reset(Rows(3, 2, 1), total: 3);

        blocks.Apply(Rows(4, 5), added: 2);
        Assert.Equal([5L, 4, 3, 2, 1], Shown(blocks)); // dropping the first block would leave two rows
        Assert.Equal(0, blocks.Hidden);

        blocks.Apply(Rows(6), added: 1);
        Assert.Equal([6L, 5, 4], Shown(blocks)); // the first block went whole: three rows remain
        Assert.Equal(3, blocks.Hidden);
        Assert.Equal(6, blocks.Total);
    }

    [Fact]
    public void BurstLargerThanCapacity_ShowsTheNewestCapacityRows_AndCountsTheFoldedOnes()
    {
        var blocks = Blocks(3);
        blocks.Reset(Rows(1), total: 1);

        // Five rows delivered, and seven more folded by the feed before they reached the page.
        blocks.Apply(Rows(10, 11, 12, 13, 14), added: 5 + 7);

        Assert.Equal([14L, 13, 12], Shown(blocks));
        Assert.Single(blocks.Blocks);
        Assert.Equal(10, blocks.Hidden);
    }

    [Fact]
    public void LateRow_RedrawsOnlyTheBlockItFallsInto_UnderTheSameKey()
    {
        var blocks = Blocks(10);
        blocks.Reset(Rows(3, 1), total: 2);
        blocks.Apply(Rows(9, 7), added: 2);
        var top = blocks.Blocks[0];
        var bottom = blocks.Blocks[1];

        // Committed before 7 but published after it (another node's commit, for example).
        Assert.True(blocks.Apply(Rows(2, 5), added: 2));

        Assert.Same(top, blocks.Blocks[0]);
        Assert.NotSame(bottom, blocks.Blocks[1]);
        Assert.Equal(bottom.Key, blocks.Blocks[1].Key);
        Assert.Equal([9L, 7, 5, 3, 2, 1], Shown(blocks));
        Assert.Contains("data-entry-id=\"5\"", blocks.Blocks[1].Markup.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void RowOlderThanTheOldestShown_StaysHidden_AndARowShownAgainChangesNothing()
    {
        var blocks = Blocks(2);
        blocks.Reset(Rows(8, 7), total: 2);
        var before = blocks.Blocks[0];

        Assert.True(blocks.Apply(Rows(3), added: 1));
        Assert.Equal([8L, 7], Shown(blocks));
        Assert.Equal(1, blocks.Hidden);

        // The same entry delivered again (a feed re-listening after a filter change): nothing to draw.
        Assert.False(blocks.Apply(Rows(8), added: 0));
        Assert.Same(before, blocks.Blocks[0]);
    }

    [Fact]
    public void ShownRows_StayBetweenCapacityAndTwiceIt_UnderAnyDeliverySizes()
    {
        var blocks = Blocks(50);
        blocks.Reset(Rows([.. Enumerable.Range(1, 50).Select(i => (long)i)]), total: 50);
        var random = new Random(8);
        long next = 51, delivered = 50;
        for (var i = 0; i < 500; i++)
        {
            var size = random.Next(1, 60);
            blocks.Apply(Rows([.. Enumerable.Range(0, size).Select(k => next + k)]), added: size);
            next += size;
            delivered += size;

            Assert.InRange(blocks.Shown, 50, 99);
            Assert.Equal(delivered, blocks.Shown + blocks.Hidden);
            Assert.Equal(next - 1, Shown(blocks)[0]);
            Assert.Equal(blocks.Blocks.Count, blocks.Blocks.Select(b => b.Key).Distinct().Count());
        }
    }
}
