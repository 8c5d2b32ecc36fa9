using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// An HMM domain directory stays while any of its pages is mapped: a partial munmap unmaps only
/// its pages and the rest of the directory keeps its IOVA until its own munmap. The injected bug
/// (FreeReferencedDirectories) drops the directory at the first partial unmap, so the second munmap
/// leaves the IOMMU mapping of freed pages behind, which the DMA safety oracle reports.
/// </summary>
public abstract class ReferencedDirectoryTests(ITestOutputHelper output, bool deterministic)
    : IommuSim.TestKit.TestKit(output, deterministic ? IommuSim.Actors.Tests.Mm.HmmKit.DispatcherConfig(true, 5) : null)
{
    private const ulong Page = IommuMachine.Page;
    private const ulong Buffer = 0x10_0040_0000UL;
    private const int Pages = 16;

    private (Errno FirstHalf, Errno SecondHalf) UnmapInTwoStepsThenDma(IommuMachine m)
    {
        m.Mmap(Pages, new VirtAddr(Buffer));
        Assert.Equal(Errno.None, m.MirrorWrite("gpu0", Buffer, Enumerable.Range(0, Pages).Select(i => (ulong)i + 1).ToArray()).Errno);
        Assert.Equal(Errno.None, m.MirrorRead("gpu1", Buffer, Pages).Errno);
        var iova = m.IovaOf("gpu0", Buffer)!.Value;

        Assert.Equal(Errno.None, m.Munmap(Buffer + Pages / 2 * Page, Pages / 2));
        var first = m.DmaRead("gpu0", iova + Pages / 2 * Page, 1).Errno;
        Assert.Equal(Errno.None, m.DmaRead("gpu0", iova, 1).Errno);
        Assert.Equal(Errno.None, m.Munmap(Buffer, Pages / 2));
        return (first, m.DmaRead("gpu0", iova, 1).Errno);
    }

    [Fact]
    public void A_partly_unmapped_directory_keeps_its_other_pages_mapped_until_their_own_munmap()
    {
        using var m = new IommuMachine(this, devices: [("gpu0", 0), ("gpu1", 0)]);
        Assert.Equal((Errno.EFAULT, Errno.EFAULT), UnmapInTwoStepsThenDma(m));
        Assert.Equal(0UL, m.IommuStats().MappedBytes);
        m.AssertDmaSafe();
    }

    [Fact]
    public void Freeing_the_directory_while_pages_are_still_mapped_leaves_them_reachable_after_munmap()
    {
        var bugs = new MachineBugs { HmmDomain = new HmmDomainOptions { FreeReferencedDirectories = true } };
        using var m = new IommuMachine(this, bugs, devices: [("gpu0", 0), ("gpu1", 0)]);
        var (first, second) = UnmapInTwoStepsThenDma(m);
        Assert.Equal(Errno.EFAULT, first);
        Assert.Equal(Errno.EIO, second); // the IOVA still translates, to a freed frame
        Assert.NotEqual(0UL, m.IommuStats().MappedBytes);
        var v = Assert.Single(m.Oracle.Violations);
        Assert.Contains("the page is free", v.Message);
    }
}

public sealed class ReferencedDirectoryTestsOnThreadPool(ITestOutputHelper output) : ReferencedDirectoryTests(output, deterministic: false);

public sealed class ReferencedDirectoryTestsDeterministic(ITestOutputHelper output) : ReferencedDirectoryTests(output, deterministic: true);
