using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class FramePoolContentsTests
{
    [Fact]
    public void WrittenValueReadsBack()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);

        Assert.Equal(Errno.None, mem.WritePage(pfn, 0xdead_beef_cafe_f00dUL));

        Assert.Equal(Errno.None, mem.ReadPage(pfn, out var value));
        Assert.Equal(0xdead_beef_cafe_f00dUL, value);
    }

    [Fact]
    public void AllocationZeroesAReusedFrame()
    {
        var mem = new PhysicalMemory(4096);
        mem.AllocPage(out var pfn);
        mem.WritePage(pfn, 99);
        mem.SetPageDirty(pfn);
        mem.PutPage(pfn);

        mem.AllocPage(out var again);

        Assert.Equal(pfn, again);
        mem.ReadPage(again, out var value);
        Assert.Equal(0UL, value);
        Assert.False(mem.PageDirty(again));
    }

    [Fact]
    public void TestClearPageDirtyReportsOnce()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);
        Assert.False(mem.PageDirty(pfn));

        Assert.Equal(Errno.None, mem.SetPageDirty(pfn));
        Assert.True(mem.PageDirty(pfn));

        Assert.Equal(Errno.None, mem.TestClearPageDirty(pfn, out var first));
        Assert.Equal(Errno.None, mem.TestClearPageDirty(pfn, out var second));
        Assert.True(first);
        Assert.False(second);
        Assert.False(mem.PageDirty(pfn));
    }

    [Fact]
    public void WriteDoesNotSetDirty()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var pfn);

        mem.WritePage(pfn, 1);

        Assert.False(mem.PageDirty(pfn));
    }

    [Fact]
    public void CopyPageCopiesContents()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var src);
        mem.AllocPage(out var dst);
        mem.WritePage(src, 1234);

        Assert.Equal(Errno.None, mem.CopyPage(dst, src));

        mem.ReadPage(dst, out var value);
        Assert.Equal(1234UL, value);
    }

    [Fact]
    public void CopyFromAFreedPageWritesNothing()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AllocPage(out var src);
        mem.AllocPage(out var dst);
        mem.WritePage(dst, 5);
        mem.PutPage(src);

        Assert.Equal(Errno.EFAULT, mem.CopyPage(dst, src));

        mem.ReadPage(dst, out var value);
        Assert.Equal(5UL, value);
        Assert.Equal(1, mem.Counters.UseAfterFree);
    }
}
