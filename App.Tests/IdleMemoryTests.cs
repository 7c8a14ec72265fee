using System.Runtime.InteropServices;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests;

public sealed class IdleMemoryTests
{
    [Fact]
    public void TrimNativeHeap_GivesBackWhatTheCLibraryKeptAfterFree()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "malloc_trim is glibc's");
        // Blocks under glibc's mmap threshold (128 KiB) come from a heap arena and stay there after free.
        var blocks = Enumerable.Range(0, 256).Select(_ => Marshal.AllocHGlobal(64 * 1024)).ToList();
        foreach (var block in blocks) Marshal.WriteByte(block, 1);
        // A block allocated after them keeps the freed ones off the top of the heap, which free()
        // would give back by itself.
        var fence = Marshal.AllocHGlobal(64);
        blocks.ForEach(Marshal.FreeHGlobal);

        Assert.True(IdleMemory.TrimNativeHeap());
        Marshal.FreeHGlobal(fence);
    }

    [Fact]
    public async Task Trimmer_TrimsEveryInterval_OnTheAppsClock()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "malloc_trim is glibc's");
        var clock = new FakeTimeProvider();
        using var trimmer = new NativeHeapTrimmer(clock);
        await trimmer.StartAsync(TestContext.Current.CancellationToken);

        clock.Advance(IdleMemory.TrimInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(0, trimmer.Trims);
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => trimmer.Trims == 1);
        clock.Advance(IdleMemory.TrimInterval);
        await WaitUntilAsync(() => trimmer.Trims == 2);

        await trimmer.StopAsync(TestContext.Current.CancellationToken);
    }

    // The trim runs on the timer's continuation, not on the thread that advanced the clock.
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        await Eventually.WaitUntilAsync(condition);
        Assert.True(condition());
    }
}
