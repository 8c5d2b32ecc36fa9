using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class PhysicalMemoryCapacityTests
{
    [Fact]
    public void AllocationBeyondCapacityIsEnomem()
    {
        var mem = new PhysicalMemory(4 * 4096);
        for (var i = 0; i < 4; i++) Assert.Equal(Errno.None, mem.AllocPage(out _));

        Assert.Equal(Errno.ENOMEM, mem.AllocPage(out var pfn));

        Assert.Equal(default, pfn);
        var c = mem.Counters;
        Assert.Equal(4, c.Allocated);
        Assert.Equal(4, c.Live);
        Assert.Equal(1, c.AllocFailures);
    }

    [Fact]
    public void FreedPageCanBeAllocatedAgainAtCapacity()
    {
        var mem = new PhysicalMemory(2 * 4096);
        mem.AllocPage(out var a);
        mem.AllocPage(out _);
        mem.PutPage(a);

        Assert.Equal(Errno.None, mem.AllocPage(out var again));
        Assert.Equal(a, again);
        Assert.Equal(Errno.ENOMEM, mem.AllocPage(out _));
    }

    [Fact]
    public void BulkAllocationStopsAtCapacity()
    {
        var mem = new PhysicalMemory(3 * 4096);
        var pfns = new Pfn[5];

        Assert.Equal(3, mem.SystemRam.AllocPages(pfns));

        Assert.Equal(3, pfns[..3].Distinct().Count());
        Assert.Equal(1, mem.Counters.AllocFailures);
        Assert.Equal(3, mem.Counters.Live);
    }

    [Fact]
    public void ZeroSizedMemoryHasNothingToGive()
    {
        var mem = new PhysicalMemory(0);

        Assert.Equal(Errno.ENOMEM, mem.AllocPage(out _));
    }

    [Fact]
    public void SizeMustBeWholePages()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhysicalMemory(4097));
    }

    [Fact]
    public void TerabyteMachineMaterializesOnlyWhatIsAllocated()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var mem = new PhysicalMemory(1UL << 40);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Errno.None, mem.AllocPage(out var pfn));
            mem.WritePage(pfn, (ulong)i);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1UL << 28, mem.SystemRam.Frames);
        Assert.Equal(3, mem.Counters.Live);
        // One 256-frame chunk backs the three pages; eager records would be 8 GiB.
        Assert.Equal(256, mem.SystemRam.MaterializedFrames);
        Assert.True(mem.SystemRam.MaterializedBytes < 32 * 1024, $"{mem.SystemRam.MaterializedBytes} bytes materialized");
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated");
    }

    [Fact]
    public void FramesFarApartMaterializeTheirOwnChunks()
    {
        var mem = new PhysicalMemory(1UL << 30);
        var pfns = new Pfn[1000];
        mem.SystemRam.AllocPages(pfns);

        Assert.Equal(1024, mem.SystemRam.MaterializedFrames);
        foreach (var p in pfns) mem.WritePage(p, p.Value * 3);
        foreach (var p in pfns)
        {
            mem.ReadPage(p, out var v);
            Assert.Equal(p.Value * 3, v);
        }
    }
}
