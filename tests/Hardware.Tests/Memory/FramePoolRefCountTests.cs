using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class FramePoolRefCountTests
{
    private static readonly ulong OneMiB = 1UL << 20;

    [Fact]
    public void AllocatedPageHasOneReferenceAndIsInRam()
    {
        var mem = new PhysicalMemory(OneMiB);

        Assert.Equal(Errno.None, mem.AllocPage(out var pfn));

        Assert.True(mem.SystemRam.Contains(pfn));
        Assert.Equal(1, mem.PageRefCount(pfn));
        Assert.Equal(0, mem.PagePinCount(pfn));
        Assert.True(mem.IsPageLive(pfn));
        Assert.Equal(1, mem.PageGeneration(pfn));
        var c = mem.Counters;
        Assert.Equal(1, c.Allocated);
        Assert.Equal(1, c.Live);
        Assert.Equal(1, c.Peak);
    }

    [Fact]
    public void PutOfLastReferenceFreesThePage()
    {
        var mem = new PhysicalMemory(OneMiB);
        mem.AllocPage(out var pfn);

        Assert.Equal(Errno.None, mem.GetPage(pfn));
        Assert.Equal(2, mem.PageRefCount(pfn));
        Assert.Equal(Errno.None, mem.PutPage(pfn));
        Assert.True(mem.IsPageLive(pfn));
        Assert.Equal(Errno.None, mem.PutPage(pfn));

        Assert.False(mem.IsPageLive(pfn));
        Assert.Equal(0, mem.PageRefCount(pfn));
        var c = mem.Counters;
        Assert.Equal(1, c.Freed);
        Assert.Equal(0, c.Live);
        Assert.Equal(0, c.UseAfterFree);
    }

    [Fact]
    public void EveryOperationOnAFreedPageIsRefusedAndCounted()
    {
        var mem = new PhysicalMemory(OneMiB);
        mem.AllocPage(out var pfn);
        mem.WritePage(pfn, 42);
        mem.PutPage(pfn);

        Assert.Equal(Errno.EFAULT, mem.GetPage(pfn));
        Assert.Equal(Errno.EFAULT, mem.PutPage(pfn));
        Assert.Equal(Errno.EFAULT, mem.PinPage(pfn));
        Assert.Equal(Errno.EFAULT, mem.UnpinPage(pfn));
        Assert.Equal(Errno.EFAULT, mem.SetPageDirty(pfn));
        Assert.Equal(Errno.EFAULT, mem.TestClearPageDirty(pfn, out _));
        Assert.Equal(Errno.EFAULT, mem.ReadPage(pfn, out var value));
        Assert.Equal(0UL, value);
        Assert.Equal(Errno.EFAULT, mem.WritePage(pfn, 7));

        Assert.Equal(8, mem.Counters.UseAfterFree);
        Assert.Equal(pfn, mem.SystemRam.LastUseAfterFree);
        // Nothing was revived: the page is still free and the free count did not move.
        Assert.False(mem.IsPageLive(pfn));
        Assert.Equal(1, mem.Counters.Freed);
    }

    [Fact]
    public void InspectionOfAFreedPageIsNotAUse()
    {
        var mem = new PhysicalMemory(OneMiB);
        mem.AllocPage(out var pfn);
        mem.PutPage(pfn);

        _ = mem.PageRefCount(pfn);
        _ = mem.PagePinCount(pfn);
        _ = mem.PageDirty(pfn);
        _ = mem.PageGeneration(pfn);
        _ = mem.IsPageLive(pfn);

        Assert.Equal(0, mem.Counters.UseAfterFree);
        Assert.Null(mem.SystemRam.LastUseAfterFree);
    }

    [Fact]
    public void NeverAllocatedFrameBehavesAsFree()
    {
        var mem = new PhysicalMemory(OneMiB);
        var pfn = new Pfn(PhysicalMemory.SystemRamBasePfn + 17);

        Assert.Equal(Errno.EFAULT, mem.WritePage(pfn, 1));
        Assert.Equal(Errno.EFAULT, mem.GetPage(pfn));

        Assert.Equal(2, mem.Counters.UseAfterFree);
        Assert.Equal(0, mem.SystemRam.MaterializedFrames);
    }

    [Fact]
    public void PfnOutsideEveryPoolIsENXIO()
    {
        var mem = new PhysicalMemory(OneMiB);

        Assert.Equal(Errno.ENXIO, mem.GetPage(default));
        Assert.Equal(Errno.ENXIO, mem.WritePage(new Pfn(PhysicalMemory.SystemRamBasePfn + 256), 1));
        Assert.Equal(Errno.ENXIO, mem.ReadPage(new Pfn(ulong.MaxValue), out _));
        Assert.Null(mem.PoolOf(default));
        Assert.Equal(0, mem.Counters.UseAfterFree);
    }

    [Fact]
    public void ReusedFrameGetsANewGeneration()
    {
        var mem = new PhysicalMemory(4096);
        mem.AllocPage(out var first);
        var generation = mem.PageGeneration(first);
        mem.PutPage(first);

        Assert.Equal(Errno.None, mem.AllocPage(out var second));

        Assert.Equal(first, second);
        Assert.Equal(generation + 1, mem.PageGeneration(second));
    }

    [Fact]
    public void PeakTracksTheHighestLiveCount()
    {
        var mem = new PhysicalMemory(OneMiB);
        var pfns = new Pfn[10];
        Assert.Equal(10, mem.SystemRam.AllocPages(pfns));
        foreach (var p in pfns[..6]) mem.PutPage(p);
        mem.AllocPage(out _);

        var c = mem.Counters;
        Assert.Equal(11, c.Allocated);
        Assert.Equal(6, c.Freed);
        Assert.Equal(5, c.Live);
        Assert.Equal(10, c.Peak);
    }
}
