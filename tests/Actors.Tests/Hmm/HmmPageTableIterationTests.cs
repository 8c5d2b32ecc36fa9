using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPageTableIterationTests
{
    [Fact]
    public void EntriesComeInAddressOrderAcrossFarApartRegions()
    {
        var pt = new HmmPageTable((1UL << 57) - 1);
        ulong[] addrs = [0x1000, 0x20_0000, 0x7f00_0000_0000, 0x7f00_0000_3000, 1UL << 50, (1UL << 57) - PageBytes];
        foreach (var a in addrs.Reverse()) pt.Set(a, PfnPte(a >> 12));

        var found = All(pt, new AddressRange(0, 1UL << 57));

        Assert.Equal(addrs, found.Select(e => e.Address));
        Assert.All(found, e => Assert.Equal(new Pfn(e.Address >> 12), e.Pte.Pfn));
    }

    [Fact]
    public void EntriesRespectTheRangeBounds()
    {
        var pt = new HmmPageTable(Last48);
        for (ulong i = 0; i < 1024; i++) pt.Set(UserBase + i * PageBytes, PfnPte(i));

        var found = All(pt, new AddressRange(UserBase + 510 * PageBytes + 7, UserBase + 514 * PageBytes));

        Assert.Equal([510UL, 511, 512, 513], found.Select(e => (e.Address - UserBase) / PageBytes));
        // Crossing from the last slot of one leaf into the next keeps address and entry together.
        Assert.All(found, e => Assert.Equal(PfnPte((e.Address - UserBase) / PageBytes), e.Pte));
    }

    [Fact]
    public void EveryLeafBoundaryIsCrossedCorrectly()
    {
        var pt = new HmmPageTable(Last48);
        ulong[] pages = [0, 511, 512, 1023, 1024, 512 * 512 - 1, 512 * 512];
        foreach (var p in pages) pt.Set(UserBase + p * PageBytes, PfnPte(p));

        var found = All(pt, Pages(UserBase, 512 * 512 + 1));

        Assert.Equal(pages, found.Select(e => (e.Address - UserBase) / PageBytes));
        Assert.All(found, e => Assert.Equal(PfnPte((e.Address - UserBase) / PageBytes), e.Pte));
    }

    [Fact]
    public void EnumerationHoldsAWalkerUntilDisposed()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));

        var enumerator = pt.Entries(Pages(UserBase, 1)).GetEnumerator();
        Assert.Equal(1, pt.Counters.ActiveWalkers);
        Assert.True(enumerator.MoveNext());
        Assert.False(enumerator.MoveNext());
        enumerator.Dispose();

        Assert.Equal(0, pt.Counters.ActiveWalkers);
    }

    [Fact]
    public void ClearingWhileIteratingDefersTheFreeAndSeesEverything()
    {
        var pt = new HmmPageTable(Last48);
        for (ulong leaf = 0; leaf < 4; leaf++)
            for (ulong i = 0; i < 3; i++) pt.Set(UserBase + leaf * LeafBytes + i * PageBytes, PfnPte(leaf * 10 + i));
        var freedBefore = pt.Counters.DirectoriesFreed;
        var seen = new List<ulong>();
        long maxDeadPending = 0;

        foreach (var e in pt.Entries(Pages(UserBase, 4 * 512)))
        {
            seen.Add(e.Pte.Pfn!.Value.Value);
            pt.Clear(Pages(e.Address, 1));
            maxDeadPending = Math.Max(maxDeadPending, pt.Counters.DeadPending);
            Assert.Equal(freedBefore, pt.Counters.DirectoriesFreed); // nothing freed under the walker
            AssertSound(pt);
        }

        Assert.Equal([0UL, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], seen);
        Assert.True(maxDeadPending >= 3);
        var c = pt.Counters;
        Assert.Equal(0, c.DeadPending);
        Assert.Equal(0, c.DirectoriesLive);
        Assert.Equal(c.DirectoriesAllocated, c.DirectoriesFreed);
    }

    [Fact]
    public void IterationFindsEntriesAddedAheadOfIt()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));
        var seen = new List<ulong>();

        foreach (var e in pt.Entries(Pages(UserBase, 4096)))
        {
            seen.Add(e.Address);
            if (seen.Count == 1)
            {
                pt.Clear(Pages(UserBase, 1)); // the leaf dies under the enumerator
                pt.Set(UserBase + 3 * PageBytes, PfnPte(3)); // a new leaf replaces it
                pt.Set(UserBase + 7 * LeafBytes, PfnPte(4));
            }
        }

        Assert.Equal([UserBase, UserBase + 3 * PageBytes, UserBase + 7 * LeafBytes], seen);
        AssertSound(pt);
    }

    [Fact]
    public void LeafDirectoriesReportSpanCountAndEntries()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        pt.Set(UserBase + 3 * PageBytes, PfnPte(3));
        pt.Set(UserBase + 4 * PageBytes, PfnPte(4));
        pt.Set(UserBase + 5 * LeafBytes, PfnPte(5));
        pt.Set(UserBase + 6 * LeafBytes, PfnPte(6));
        pt.Clear(Pages(UserBase + 6 * LeafBytes, 1)); // stays linked, empty

        var leaves = new List<(ulong Start, ulong End, int Valid, List<ulong> Addrs)>();
        foreach (var leaf in pt.LeafDirectories(new AddressRange(UserBase, UserBase + 7 * LeafBytes)))
        {
            var addrs = new List<ulong>();
            var entries = leaf.Entries;
            for (var i = 0; i < entries.Length; i++)
                if (entries[i].IsValid) addrs.Add(leaf.AddressOf(i));
            Assert.Equal(512, leaf.EntryCount);
            Assert.True(leaf.IsLinked);
            leaves.Add((leaf.Start, leaf.End, leaf.ValidEntries, addrs));
        }

        Assert.Equal(3, leaves.Count);
        Assert.Equal((UserBase, UserBase + LeafBytes, 2), (leaves[0].Start, leaves[0].End, leaves[0].Valid));
        Assert.Equal([UserBase + 3 * PageBytes, UserBase + 4 * PageBytes], leaves[0].Addrs);
        Assert.Equal((UserBase + 5 * LeafBytes, UserBase + 6 * LeafBytes, 1), (leaves[1].Start, leaves[1].End, leaves[1].Valid));
        Assert.Equal(0, leaves[2].Valid);
        Assert.Empty(leaves[2].Addrs);
        Assert.Equal(0, pt.Counters.ActiveWalkers);
    }

    [Fact]
    public void EmptyAndOutsideRangesYieldNothing()
    {
        var pt = new HmmPageTable((1UL << 39) - 1);
        pt.Set(0, PfnPte(1));

        Assert.Empty(All(pt, new AddressRange(0, 0)));
        Assert.Empty(All(pt, new AddressRange(1UL << 39, 1UL << 40)));
        Assert.Empty(All(pt, new AddressRange(PageBytes, 1UL << 39)));
        Assert.Equal(0, pt.Counters.ActiveWalkers);
    }
}
