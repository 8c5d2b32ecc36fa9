using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPageTableReclaimTests
{
    [Fact]
    public void EagerUnlinksTheWholeEmptyPathAtOnce()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.Eager);
        pt.Set(UserBase, PfnPte(1));

        pt.Set(UserBase, HmmPte.Empty);

        var c = pt.Counters;
        Assert.Equal(3, c.DirectoriesAllocated);
        Assert.Equal(3, c.DirectoriesFreed);
        Assert.Equal(0, c.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void EagerKeepsAParentThatStillHasOtherChildren()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.Eager);
        pt.Set(UserBase, PfnPte(1));
        pt.Set(UserBase + LeafBytes, PfnPte(2));

        pt.Clear(Pages(UserBase, 1));

        Assert.Equal(1, pt.Counters.DirectoriesFreed); // only the first leaf
        Assert.Equal(3, pt.Counters.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void OnMunmapKeepsEmptyDirectoriesUntilReclaim()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        for (ulong i = 0; i < 1024; i++) pt.Set(UserBase + i * PageBytes, PfnPte(i));

        Assert.Equal(1024, pt.Clear(Pages(UserBase, 1024)));
        Assert.Equal(4, pt.Counters.DirectoriesLive);
        AssertSound(pt);

        Assert.Equal(4, pt.Reclaim(Pages(UserBase, 1024)));

        Assert.Equal(0, pt.Counters.DirectoriesLive);
        Assert.Equal(4, pt.Counters.DirectoriesFreed);
        AssertSound(pt);
    }

    [Fact]
    public void ReclaimLeavesDirectoriesThatStillHaveEntries()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        pt.Set(UserBase, PfnPte(1));
        pt.Set(UserBase + LeafBytes, PfnPte(2));
        pt.Clear(Pages(UserBase, 1));

        Assert.Equal(1, pt.Reclaim(new AddressRange(0, Last48)));

        Assert.Equal(PfnPte(2), pt.Get(UserBase + LeafBytes));
        Assert.Equal(3, pt.Counters.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void ReclaimRemovesPopulatedButUnusedDirectoriesUnderEagerToo()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.Eager);
        pt.Populate(Pages(UserBase, 2048));
        Assert.Equal(6, pt.Counters.DirectoriesLive);

        Assert.Equal(6, pt.Reclaim(Pages(UserBase, 2048)));

        Assert.Equal(0, pt.Counters.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void MigrateToDeviceAndBackThrashesOnlyUnderEager()
    {
        // The review's question: migrate to the device fills the HMM table with device-private
        // pfns, migrate back clears them. Eager frees and reallocates the directories each time;
        // keeping them until munmap allocates them once.
        const int cycles = 10;
        const ulong pages = 4 * 512; // 8 MiB: 4 leaves + a level-2 and a level-1 directory
        var eager = new HmmPageTable(Last48, HmmPtReclaimPolicy.Eager);
        var lazy = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        var range = Pages(UserBase, pages);
        const ulong devicePfnBase = 0x4000_0000;

        foreach (var pt in new[] { eager, lazy })
        {
            for (var cycle = 0; cycle < cycles; cycle++)
            {
                for (ulong i = 0; i < pages; i++)
                    Assert.Equal(Errno.None, pt.Set(UserBase + i * PageBytes, PfnPte(devicePfnBase + i, write: true)));
                Assert.Equal((long)pages, pt.Clear(range));
                AssertSound(pt);
            }
        }

        Assert.Equal(cycles * 6, eager.Counters.DirectoriesAllocated);
        Assert.Equal(cycles * 6, eager.Counters.DirectoriesFreed);
        Assert.Equal(6, lazy.Counters.DirectoriesAllocated);
        Assert.Equal(0, lazy.Counters.DirectoriesFreed);
        Assert.Equal(6, eager.Counters.DirectoriesPeak);
        Assert.Equal(6, lazy.Counters.DirectoriesPeak);

        // munmap
        Assert.Equal(0, eager.Reclaim(range));
        Assert.Equal(6, lazy.Reclaim(range));
        Assert.Equal(0, lazy.Counters.DirectoriesLive);
        AssertSound(lazy);
    }
}
