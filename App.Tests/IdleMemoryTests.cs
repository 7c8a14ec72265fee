using System.Runtime.InteropServices;

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
}
