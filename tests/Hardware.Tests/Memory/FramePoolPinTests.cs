using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class FramePoolPinTests
{
    [Fact]
    public void PinHoldsAReferenceSoTheOwnersPutDoesNotFree()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);

        Assert.Equal(Errno.None, mem.PinPage(pfn));
        Assert.Equal(2, mem.PageRefCount(pfn));
        Assert.Equal(1, mem.PagePinCount(pfn));
        Assert.Equal(Errno.None, mem.PutPage(pfn));
        Assert.True(mem.IsPageLive(pfn));

        Assert.Equal(Errno.None, mem.UnpinPage(pfn));

        Assert.False(mem.IsPageLive(pfn));
        var c = mem.Counters;
        Assert.Equal(1, c.PinsAcquired);
        Assert.Equal(1, c.PinsReleased);
        Assert.Equal(0, c.Pinned);
        Assert.Equal(0, c.PinnedPages);
        Assert.Equal(1, c.Freed);
        Assert.Equal(0, c.FreedWhilePinned);
    }

    [Fact]
    public void PinnedPagesCountsPagesNotPins()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var a);
        mem.AllocPage(out var b);

        mem.PinPage(a);
        mem.PinPage(a);
        mem.PinPage(b);

        Assert.Equal(2, mem.Counters.PinnedPages);
        Assert.Equal(3, mem.Counters.Pinned);
        Assert.Equal(2, mem.PagePinCount(a));
        Assert.Equal(3, mem.PageRefCount(a));

        mem.UnpinPage(a);
        Assert.Equal(2, mem.Counters.PinnedPages);
        mem.UnpinPage(a);
        Assert.Equal(1, mem.Counters.PinnedPages);
    }

    [Fact]
    public void UnpinWithoutPinIsEinvalAndChangesNothing()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);

        Assert.Equal(Errno.EINVAL, mem.UnpinPage(pfn));

        Assert.Equal(1, mem.PageRefCount(pfn));
        Assert.Equal(1, mem.Counters.BadUnpins);
        Assert.Equal(0, mem.Counters.PinsReleased);
    }

    [Fact]
    public void UnpinDirtyMarksThePageDirty()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);
        mem.PinPage(pfn);

        Assert.Equal(Errno.None, mem.UnpinPageDirty(pfn, makeDirty: true));

        Assert.True(mem.PageDirty(pfn));
        Assert.Equal(1, mem.PageRefCount(pfn));
    }

    [Fact]
    public void PutsBeyondTheGetsFreeAPinnedPageAndAreReported()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);
        mem.PinPage(pfn);

        mem.PutPage(pfn);
        mem.PutPage(pfn); // one put too many: takes the pin's reference

        Assert.False(mem.IsPageLive(pfn));
        var c = mem.Counters;
        Assert.Equal(1, c.FreedWhilePinned);
        Assert.Equal(1, c.Pinned); // the pin was never released: a leak the oracle sees
        Assert.Equal(0, c.PinnedPages);
        Assert.Equal(Errno.EFAULT, mem.UnpinPage(pfn));
    }
}
