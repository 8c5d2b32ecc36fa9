using IommuSim.Actors.Hmm;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPageTableWalkerTests
{
    [Fact]
    public void DeadDirectoryWaitsForAWalkerThatBeganBeforeItsDeath()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));
        var walker = pt.BeginWalk();
        Assert.Equal(PfnPte(1), walker.Lookup(UserBase)); // the walker now holds the path

        pt.Clear(Pages(UserBase, 1));

        var c = pt.Counters;
        Assert.Equal(3, c.DeadPending);
        Assert.Equal(0, c.DirectoriesFreed);
        Assert.Equal(3, c.DirectoriesLive);
        Assert.Equal(0, c.DirectoriesLinked);
        AssertSound(pt);
        Assert.Equal(HmmPte.Empty, walker.Lookup(UserBase)); // its dead leaf is not reused

        pt.EndWalk(walker);

        c = pt.Counters;
        Assert.Equal(0, c.DeadPending);
        Assert.Equal(3, c.DirectoriesFreed);
        Assert.Equal(0, c.DirectoriesLive);
        AssertSound(pt);
    }

    [Fact]
    public void WalkerThatBeganAfterTheDeathDoesNotDelayTheFree()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));
        var before = pt.BeginWalk();
        pt.Clear(Pages(UserBase, 1));
        var after = pt.BeginWalk();

        pt.EndWalk(before);

        Assert.Equal(3, pt.Counters.DirectoriesFreed);
        Assert.Equal(1, pt.Counters.ActiveWalkers);
        after.Dispose();
        Assert.Equal(0, pt.Counters.ActiveWalkers);
    }

    [Fact]
    public void EachDeadDirectoryWaitsForTheWalkersOlderThanIt()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        pt.Set(UserBase, PfnPte(1));
        pt.Set(UserBase + LeafBytes, PfnPte(2));
        pt.Clear(new Messages.AddressRange(UserBase, UserBase + 2 * LeafBytes));

        var w1 = pt.BeginWalk();
        pt.Reclaim(Pages(UserBase, 1)); // leaf A dies while w1 is active
        var w2 = pt.BeginWalk();
        pt.Reclaim(Pages(UserBase + LeafBytes, 1)); // leaf B (and its emptied parents) die under w1 and w2

        Assert.Equal(4, pt.Counters.DeadPending);
        pt.EndWalk(w2);
        Assert.Equal(4, pt.Counters.DeadPending); // w1 is older than every death
        pt.EndWalk(w1);
        Assert.Equal(0, pt.Counters.DeadPending);
        Assert.Equal(4, pt.Counters.DirectoriesFreed);
        AssertSound(pt);
    }

    [Fact]
    public void OldestWalkerEndingFirstReleasesOnlyWhatDiedBeforeTheNext()
    {
        var pt = new HmmPageTable(Last48);
        pt.Set(UserBase, PfnPte(1));
        pt.Set(UserBase + (1UL << 30), PfnPte(2));

        var w1 = pt.BeginWalk();
        pt.Clear(Pages(UserBase, 1)); // 2 directories die (leaf and level 2), seen by w1 only
        var w2 = pt.BeginWalk();
        pt.Clear(Pages(UserBase + (1UL << 30), 1)); // 3 more die, seen by w1 and w2

        pt.EndWalk(w1);
        Assert.Equal(2, pt.Counters.DirectoriesFreed);
        Assert.Equal(3, pt.Counters.DeadPending);
        pt.EndWalk(w2);
        Assert.Equal(5, pt.Counters.DirectoriesFreed);
        AssertSound(pt);
    }

    [Fact]
    public void WalkerEndsOnceAndBelongsToOneTable()
    {
        var pt = new HmmPageTable(Last48);
        var other = new HmmPageTable(Last48);
        var walker = pt.BeginWalk();

        Assert.Throws<ArgumentException>(() => other.EndWalk(walker));
        pt.EndWalk(walker);
        Assert.False(walker.IsActive);
        Assert.Throws<InvalidOperationException>(() => pt.EndWalk(walker));
        Assert.Throws<InvalidOperationException>(() => walker.Lookup(UserBase));
        walker.Dispose(); // idempotent
    }

    [Fact]
    public void WalkerSequencesIncrease()
    {
        var pt = new HmmPageTable(Last48);
        using var a = pt.BeginWalk();
        using var b = pt.BeginWalk();

        Assert.True(b.Sequence > a.Sequence);
        Assert.Equal(2, pt.Counters.ActiveWalkers);
    }
}
