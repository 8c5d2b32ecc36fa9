using IommuSim.Actors.Hmm;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPageTableInvariantTests
{
    private static HmmPageTable Filled()
    {
        var pt = new HmmPageTable(Last48, HmmPtReclaimPolicy.OnMunmap);
        // Pages 0, 5, ..., 595: 103 entries in the first leaf, 17 in the second.
        for (ulong i = 0; i < 600; i += 5) pt.Set(UserBase + i * PageBytes, PfnPte(i));
        AssertSound(pt);
        return pt;
    }

    [Fact]
    public void WrongLeafRefcountIsReported()
    {
        var pt = Filled();

        pt.TestHookCorruptRefCount(UserBase, pt.LastLevel, +1);

        var v = Assert.Single(pt.CheckInvariants());
        Assert.Contains("refcount 104 but 103 valid entries", v);
    }

    [Fact]
    public void WrongUpperRefcountIsReported()
    {
        var pt = Filled();

        pt.TestHookCorruptRefCount(UserBase, 1, -1);

        Assert.Contains(pt.CheckInvariants(), v => v.Contains("level 1") && v.Contains("refcount 0 but 1 valid entries"));
    }

    [Fact]
    public void EntryWrittenWithoutItsRefcountIsReported()
    {
        var pt = Filled();

        pt.TestHookWriteRaw(UserBase + PageBytes, PfnPte(77).Raw);

        var violations = pt.CheckInvariants();
        Assert.Contains(violations, v => v.Contains("refcount 103 but 104 valid entries"));
        Assert.Contains(violations, v => v.Contains("valid entries but the leaves hold"));
    }

    [Fact]
    public void MalformedEntryIsReported()
    {
        var pt = Filled();

        pt.TestHookWriteRaw(UserBase, 1UL << HmmPte.WriteBit); // flags without a valid bit

        Assert.Contains(pt.CheckInvariants(), v => v.Contains("malformed entry"));
    }

    [Fact]
    public void DirectoryFreedWhileLinkedAndNonEmptyIsReported()
    {
        var pt = Filled();

        pt.TestHookFreeLinked(UserBase, pt.LastLevel);

        var violations = pt.CheckInvariants();
        Assert.Contains(violations, v => v.Contains("was freed with 103 valid entries"));
        Assert.Contains(violations, v => v.Contains("Freed") && v.Contains("reachable from the root"));
        Assert.Contains(violations, v => v.Contains("counters say 120 valid entries but the leaves hold 17"));
    }

    [Fact]
    public void DirectoryFreedUnderAnActiveWalkerIsReported()
    {
        var pt = Filled();
        var walker = pt.BeginWalk();
        walker.Lookup(UserBase);

        pt.TestHookFreeLinked(UserBase, pt.LastLevel);

        Assert.Contains(pt.CheckInvariants(), v => v.Contains($"walker {walker.Sequence} holds freed"));
    }
}
