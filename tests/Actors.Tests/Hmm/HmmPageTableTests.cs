using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPageTableTests
{
    [Fact]
    public void SetPopulatesTheMissingDirectoriesAndGetReadsBack()
    {
        var pt = new HmmPageTable(Last48);

        Assert.Equal(Errno.None, pt.Set(UserBase, PfnPte(0x100, write: true)));

        Assert.Equal(PfnPte(0x100, write: true), pt.Get(UserBase));
        Assert.Equal(PfnPte(0x100, write: true), pt.Get(UserBase + 0x123)); // same granule
        Assert.Equal(HmmPte.Empty, pt.Get(UserBase + PageBytes));
        var c = pt.Counters;
        Assert.Equal(3, c.DirectoriesAllocated); // levels 1, 2 and 3 below the root
        Assert.Equal(1, c.ValidEntries);
        AssertSound(pt);
    }

    [Fact]
    public void SecondEntryInTheSameLeafAllocatesNothing()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));

        pt.Set(UserBase + 511 * PageBytes, PfnPte(2));
        pt.Set(UserBase, PfnPte(3)); // overwrite: still one entry

        Assert.Equal(3, pt.Counters.DirectoriesAllocated);
        Assert.Equal(2, pt.Counters.ValidEntries);
        Assert.Equal(PfnPte(3), pt.Get(UserBase));
        AssertSound(pt);
    }

    [Fact]
    public void PopulateMakesAnEmptyLeaf()
    {
        var pt = new HmmPageTable(Last48);

        Assert.Equal(Errno.None, pt.Populate(UserBase));
        Assert.Equal(Errno.None, pt.Populate(UserBase + 5));

        Assert.Equal(3, pt.Counters.DirectoriesAllocated);
        Assert.Equal(0, pt.Counters.ValidEntries);
        var leaves = new List<HmmPtLeaf>();
        foreach (var leaf in pt.LeafDirectories(Pages(UserBase, 1))) leaves.Add(leaf);
        Assert.Single(leaves);
        Assert.Equal(0, leaves[0].ValidEntries);
        AssertSound(pt);
    }

    [Fact]
    public void PopulateOfARangeCoversEveryLeaf()
    {
        var pt = new HmmPageTable(Last48);

        Assert.Equal(Errno.None, pt.Populate(new AddressRange(UserBase + LeafBytes - PageBytes, UserBase + 3 * LeafBytes + 1)));

        // Leaves 0..3 of one level-2 directory: 4 leaves + 1 + 1.
        Assert.Equal(6, pt.Counters.DirectoriesAllocated);
        AssertSound(pt);
    }

    [Fact]
    public void CreatingBeyondLastIsEinvalAndChangesNothing()
    {
        var pt = new HmmPageTable((1UL << 39) - 1);

        Assert.Equal(Errno.EINVAL, pt.Set(1UL << 39, PfnPte(1)));
        Assert.Equal(Errno.EINVAL, pt.Populate(1UL << 39));
        Assert.Equal(Errno.EINVAL, pt.Populate(Pages((1UL << 39) - PageBytes, 2)));

        Assert.Equal(0, pt.Counters.DirectoriesAllocated);
        Assert.Equal(Errno.None, pt.Set((1UL << 39) - 1, PfnPte(1))); // the last page is inside
    }

    [Fact]
    public void ReadingAndRemovingBeyondLastFindNothing()
    {
        var pt = new HmmPageTable((1UL << 39) - 1);
        pt.Set((1UL << 39) - PageBytes, PfnPte(9));

        Assert.Equal(HmmPte.Empty, pt.Get(1UL << 39));
        Assert.Equal(Errno.None, pt.Set(1UL << 40, HmmPte.Empty));
        Assert.Equal(0, pt.Clear(Pages(1UL << 39, 10)));
        Assert.Equal(1, pt.Clear(Pages((1UL << 39) - PageBytes, 10)));
        Assert.Empty(All(pt, new AddressRange(0, ulong.MaxValue)));
    }

    [Fact]
    public void InvertedRangeIsACallerBug()
    {
        var pt = new HmmPageTable(Last48);

        Assert.Throws<ArgumentException>(() => pt.Clear(new AddressRange(10, 5)));
        Assert.Throws<ArgumentException>(() => pt.Entries(new AddressRange(10, 5)));
        Assert.Throws<ArgumentException>(() => pt.Reclaim(new AddressRange(10, 5)));
    }

    [Fact]
    public void SetEmptyClearsOneEntry()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        pt.Set(UserBase, PfnPte(1));
        pt.Set(UserBase + PageBytes, PfnPte(2));

        pt.Set(UserBase, HmmPte.Empty);

        Assert.Equal(HmmPte.Empty, pt.Get(UserBase));
        Assert.Equal(1, pt.Counters.ValidEntries);
        AssertSound(pt);
    }

    [Fact]
    public void ClearCountsWhatItRemovedAcrossLeaves()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        for (ulong i = 0; i < 2048; i += 3) pt.Set(UserBase + i * PageBytes, PfnPte(i));

        var cleared = pt.Clear(Pages(UserBase + 100 * PageBytes, 1000));

        Assert.Equal(Enumerable.Range(100, 1000).Count(i => i % 3 == 0), cleared);
        Assert.Equal(PfnPte(99), pt.Get(UserBase + 99 * PageBytes));
        Assert.Equal(HmmPte.Empty, pt.Get(UserBase + 102 * PageBytes));
        Assert.Equal(PfnPte(1101), pt.Get(UserBase + 1101 * PageBytes));
        AssertSound(pt);
    }

    [Fact]
    public void UnalignedRangeTouchesEveryPageItOverlaps()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        for (ulong i = 0; i < 4; i++) pt.Set(UserBase + i * PageBytes, PfnPte(i));

        Assert.Equal(2, pt.Clear(new AddressRange(UserBase + PageBytes + 1, UserBase + 2 * PageBytes + 1)));

        Assert.Equal([UserBase, UserBase + 3 * PageBytes], All(pt, Pages(UserBase, 4)).Select(e => e.Address));
    }

    [Fact]
    public void UpdateWriteProtectsTheRange()
    {
        var pt = new HmmPageTable(Last48);
        for (ulong i = 0; i < 8; i++) pt.Set(UserBase + i * PageBytes, PfnPte(i, write: i % 2 == 0));

        var changed = pt.Update(Pages(UserBase, 6), pte => pte.WithWrite(false));

        Assert.Equal(3, changed); // pages 0, 2, 4 were writable
        Assert.All(All(pt, Pages(UserBase, 6)), e => Assert.False(e.Pte.IsWrite));
        Assert.True(pt.Get(UserBase + 6 * PageBytes).IsWrite);
        Assert.Equal(8, pt.Counters.ValidEntries);
        AssertSound(pt);
    }

    [Fact]
    public void UpdateToEmptyClearsAndDropsRefcounts()
    {
        var pt = new HmmPageTable(Last48);
        for (ulong i = 0; i < 4; i++) pt.Set(UserBase + i * PageBytes, PfnPte(i));

        var changed = pt.Update(Pages(UserBase, 4), pte => pte.Pfn!.Value.Value % 2 == 0 ? HmmPte.Empty : pte);

        Assert.Equal(2, changed);
        Assert.Equal(2, pt.Counters.ValidEntries);
        pt.Update(Pages(UserBase, 4), _ => HmmPte.Empty);
        Assert.Equal(0, pt.Counters.DirectoriesLive); // eager: the leaf emptied and went
        AssertSound(pt);
    }

    [Fact]
    public void UpdateCallbackMustNotChangeTheTable()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));

        Assert.Throws<InvalidOperationException>(() => pt.Update(Pages(UserBase, 1), pte =>
        {
            pt.Set(UserBase + PageBytes, pte);
            return pte;
        }));

        Assert.Equal(Errno.None, pt.Set(UserBase + PageBytes, PfnPte(2))); // usable again afterwards
        AssertSound(pt);
    }

    [Fact]
    public void RootLeafTableNeedsNoDirectories()
    {
        var pt = new HmmPageTable((1UL << 21) - 1);

        for (ulong i = 0; i < 512; i += 2) Assert.Equal(Errno.None, pt.Set(i * PageBytes, PfnPte(i)));
        Assert.Equal(Errno.EINVAL, pt.Set(1UL << 21, PfnPte(1)));

        Assert.Equal(0, pt.Counters.DirectoriesAllocated);
        Assert.Equal(256, All(pt, new AddressRange(0, 1UL << 21)).Count);
        Assert.Equal(256, pt.Clear(new AddressRange(0, ulong.MaxValue)));
        Assert.Equal(0, pt.Counters.ValidEntries);
        Assert.Equal(Errno.None, pt.Set(0, PfnPte(5)));
        Assert.Equal(PfnPte(5), pt.Get(0));
        AssertSound(pt);
    }

    [Fact]
    public void TopOfA64BitSpaceWorks()
    {
        var pt = new HmmPageTable(ulong.MaxValue);
        var top = ulong.MaxValue & ~(PageBytes - 1);

        Assert.Equal(Errno.None, pt.Set(top, PfnPte(1)));
        Assert.Equal(Errno.None, pt.Set(0, PfnPte(2)));

        Assert.Equal(PfnPte(1), pt.Get(ulong.MaxValue));
        Assert.Equal([0UL, top], All(pt, new AddressRange(0, ulong.MaxValue)).Select(e => e.Address));
        Assert.Equal(2, pt.Clear(new AddressRange(0, ulong.MaxValue)));
        Assert.Equal(0, pt.Counters.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void DirectoryLimitMakesPopulateFailWithoutChange()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.Eager, directoryLimit: 4);
        Assert.Equal(Errno.None, pt.Set(UserBase, PfnPte(1)));

        // Another 1 GiB region needs a level-2 directory and a leaf: 3 + 2 > 4.
        Assert.Equal(Errno.ENOMEM, pt.Set(UserBase + (1UL << 30), PfnPte(2)));
        // Three leaves, two of them missing: 3 + 2 > 4, and none of them is made.
        Assert.Equal(Errno.ENOMEM, pt.Populate(Pages(UserBase, 1536)));
        Assert.Equal(3, pt.Counters.DirectoriesAllocated);
        Assert.Equal(HmmPte.Empty, pt.Get(UserBase + (1UL << 30)));

        // A second leaf under the existing level-2 directory fits exactly.
        Assert.Equal(Errno.None, pt.Set(UserBase + LeafBytes, PfnPte(3)));
        Assert.Equal(4, pt.Counters.DirectoriesAllocated);
        Assert.Equal(Errno.ENOMEM, pt.Set(UserBase + 2 * LeafBytes, PfnPte(4)));
        Assert.Equal(Errno.None, pt.Populate(Pages(UserBase, 1024)));
        AssertSound(pt);
    }

    [Fact]
    public void DomainTableHoldsOneDmaEntryPerHmmLeafDirectory()
    {
        // Seed 000: hmm_domain's gpt stores, per leaf directory of the HMM table, the IOVA base
        // of the directory's DMA mapping.
        var hmm = new HmmPageTable(Last48);
        var domain = new HmmPageTable(Last48, granuleShift: HmmPtGeometry.DomainGranuleShift);
        foreach (var addr in new[] { UserBase, UserBase + 5 * PageBytes, UserBase + LeafBytes, UserBase + (7UL << 30) })
            hmm.Set(addr, PfnPte(addr >> 12));

        var iova = 0x1_0000_0000UL;
        var leaves = 0;
        foreach (var leaf in hmm.LeafDirectories(new AddressRange(0, Last48)))
        {
            Assert.Equal(Errno.None, domain.Set(leaf.Start, HmmPte.FromDmaAddr(new DmaAddr(iova), write: true)));
            iova += LeafBytes;
            leaves++;
        }

        Assert.Equal(3, leaves);
        Assert.Equal([39, 30, 21], domain.Shifts);
        Assert.Equal(3, domain.Counters.ValidEntries);
        var dpte = domain.Get(UserBase + LeafBytes + 123 * PageBytes);
        Assert.Equal(new DmaAddr(0x1_0000_0000UL + LeafBytes), dpte.DmaAddr);
        Assert.Null(dpte.Pfn);
        Assert.Equal([UserBase, UserBase + LeafBytes, UserBase + (7UL << 30)],
            All(domain, new AddressRange(0, Last48)).Select(e => e.Address));
        AssertSound(domain);
    }
}
