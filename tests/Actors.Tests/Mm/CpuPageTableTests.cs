using IommuSim.Actors.Mm;
using IommuSim.Messages;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Mm;

public class CpuPageTableTests
{
    private const int PerDir = CpuPageTable.DirectoryEntries;

    // A user address's vpn, far from zero so that directory keys are not small numbers.
    private const ulong Base = 0x7f00_0000_0000UL >> 12;

    private static CpuPte Frame(ulong pfn, bool writable = true) => CpuPte.Frame(new Pfn(pfn), writable);

    private static List<(ulong Vpn, CpuPte Pte)> Entries(CpuPageTable.RangeEnumerable range)
    {
        var list = new List<(ulong, CpuPte)>();
        foreach (var e in range) list.Add(e);
        return list;
    }

    [Fact]
    public void AnEmptyTableHasNoEntry()
    {
        var pt = new CpuPageTable();

        Assert.Null(pt.Get(Base));
        Assert.False(pt.TryGet(Base, out _));
        Assert.False(pt.Contains(Base));
        Assert.False(pt.Remove(Base, out _));
        Assert.Throws<KeyNotFoundException>(() => pt[Base]);
        Assert.Equal(0, pt.Count);
        Assert.Equal(0, pt.DirectoryCount);
        Assert.Empty(Entries(pt.All));
    }

    [Fact]
    public void SetThenGetReturnsTheEntryAndOnlyThatPageHasOne()
    {
        var pt = new CpuPageTable();
        pt.Set(Base + 5, Frame(42, writable: false));

        Assert.Equal(Frame(42, writable: false), pt.Get(Base + 5));
        Assert.True(pt.TryGet(Base + 5, out var got));
        Assert.Equal(Frame(42, writable: false), got);
        Assert.Equal(Frame(42, writable: false), pt[Base + 5]);
        Assert.Null(pt.Get(Base + 4));
        Assert.Null(pt.Get(Base + 6));
        Assert.Null(pt.Get(Base + 5 + PerDir));
        Assert.Equal(1, pt.Count);
        Assert.Equal(1, pt.DirectoryCount);
    }

    [Fact]
    public void EveryKindOfEntryKeepsItsFields()
    {
        var pt = new CpuPageTable();
        var mirror = ActorRefs.Nobody;
        CpuPte[] ptes =
        [
            Frame(1),
            new(CpuPteKind.Zero, new Pfn(2), false),
            new(CpuPteKind.DevicePrivate, new Pfn(0xff_ffff_ffffUL), true, "dev0"),
            new(CpuPteKind.DevicePrivate, new Pfn(4), false, "dev1"),
            new(CpuPteKind.Exclusive, new Pfn(5), true, "dev0", mirror),
        ];
        for (var i = 0; i < ptes.Length; i++) pt.Set(Base + (ulong)i, ptes[i]);

        for (var i = 0; i < ptes.Length; i++) Assert.Equal(ptes[i], pt.Get(Base + (ulong)i));
        // Overwriting a device entry with a plain frame drops its owner and mirror.
        pt.Set(Base + 4, Frame(6));
        Assert.Equal(Frame(6), pt.Get(Base + 4));
        // So does removing it: a later entry in the slot does not inherit them.
        Assert.True(pt.Remove(Base + 2, out var removed));
        Assert.Equal(ptes[2], removed);
        pt.Set(Base + 2, Frame(7));
        Assert.Equal(Frame(7), pt.Get(Base + 2));
    }

    [Fact]
    public void APfnThatDoesNotFitAPteIsRefusedAndChangesNothing()
    {
        var pt = new CpuPageTable();
        pt.Set(Base, Frame(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => pt.Set(Base, Frame(1UL << 58)));
        Assert.Throws<ArgumentOutOfRangeException>(() => pt.Set(Base + PerDir, Frame(ulong.MaxValue)));

        Assert.Equal([(Base, Frame(1))], Entries(pt.All));
        Assert.Equal(1, pt.Count);
        Assert.Equal(1, pt.DirectoryCount);
        // The largest pfn that fits comes back whole.
        pt.Set(Base + 1, Frame((1UL << 58) - 1));
        Assert.Equal(Frame((1UL << 58) - 1), pt.Get(Base + 1));
    }

    [Fact]
    public void SettingAPresentEntryReplacesItWithoutCountingIt()
    {
        var pt = new CpuPageTable();
        pt.Set(Base, Frame(1));

        var old = pt.Exchange(Base, Frame(2, writable: false));

        Assert.Equal(Frame(1), old);
        Assert.Equal(Frame(2, writable: false), pt.Get(Base));
        Assert.Equal(1, pt.Count);
        Assert.Null(pt.Exchange(Base + 1, Frame(3)));
        Assert.Equal(2, pt.Count);
    }

    [Fact]
    public void RemoveReturnsTheOldEntryAndLeavesPteNone()
    {
        var pt = new CpuPageTable();
        pt.Set(Base, Frame(1));
        pt.Set(Base + 1, Frame(2));

        Assert.True(pt.Remove(Base, out var old));
        Assert.Equal(Frame(1), old);
        Assert.Null(pt.Get(Base));
        Assert.False(pt.Remove(Base, out _));
        Assert.Equal(Frame(2), pt.Get(Base + 1));
        Assert.Equal(1, pt.Count);
    }

    [Fact]
    public void ADirectoryIsDroppedWithItsLastEntryAndComesBackEmpty()
    {
        var pt = new CpuPageTable();
        // Two entries in one directory, one in the next.
        pt.Set(Base, Frame(1));
        pt.Set(Base + PerDir - 1, Frame(2));
        pt.Set(Base + PerDir, Frame(3));
        Assert.Equal(2, pt.DirectoryCount);

        pt.Remove(Base);
        Assert.Equal(2, pt.DirectoryCount);
        pt.Remove(Base + PerDir - 1);
        Assert.Equal(1, pt.DirectoryCount);
        Assert.Equal(1, pt.Count);

        // A new entry in the dropped directory starts from an empty one: nothing old reappears.
        pt.Set(Base + 7, Frame(4));
        Assert.Equal(2, pt.DirectoryCount);
        Assert.Equal([Base + 7, Base + PerDir], Entries(pt.All).Select(e => e.Vpn));
        Assert.Null(pt.Get(Base));
        Assert.Null(pt.Get(Base + PerDir - 1));
    }

    [Fact]
    public void IterationIsInAddressOrderAcrossDirectoriesWhateverTheInsertionOrder()
    {
        var pt = new CpuPageTable();
        ulong[] vpns = [0, 1, 63, 64, PerDir - 1, PerDir, 5 * PerDir + 100, Base, Base + 511, Base + 512, (1UL << 40) + 3];
        var rng = new Random(7);
        foreach (var vpn in vpns.OrderBy(_ => rng.Next())) pt.Set(vpn, Frame(vpn + 1));

        var all = Entries(pt.All);

        Assert.Equal(vpns, all.Select(e => e.Vpn));
        Assert.All(all, e => Assert.Equal(Frame(e.Vpn + 1), e.Pte));
        Assert.Equal(vpns.Length, pt.Count);
    }

    [Fact]
    public void RangeIterationRespectsItsBoundsInsideAndAcrossDirectories()
    {
        var pt = new CpuPageTable();
        for (ulong i = 0; i < 3 * PerDir; i += 3) pt.Set(Base + i, Frame(i));

        Assert.Equal([Base + 510, Base + 513], pt.PresentVpns(Base + 508, Base + 514));
        Assert.Equal([Base + 3, Base + 6], Entries(pt.Range(Base + 1, Base + 9)).Select(e => e.Vpn));
        Assert.Empty(Entries(pt.Range(Base + 1, Base + 3)));
        Assert.Empty(Entries(pt.Range(Base + 9, Base + 9)));
        var whole = pt.PresentVpns(Base, Base + 3 * PerDir);
        Assert.Equal(PerDir, whole.Count);
        Assert.Equal(whole.Order(), whole);
    }

    [Fact]
    public void AHugeSparseRangeFindsTheFewEntriesInOrder()
    {
        // Far more directories spanned than present: the table sorts its own keys instead of probing.
        var pt = new CpuPageTable();
        ulong[] vpns = [Base + (1UL << 30), Base, Base + (1UL << 20) + 1];
        foreach (var vpn in vpns) pt.Set(vpn, Frame(1));

        Assert.Equal(vpns.Order(), pt.PresentVpns(0, ulong.MaxValue));
        Assert.Equal([Base + (1UL << 20) + 1], pt.PresentVpns(Base + 1, Base + (1UL << 30)));
    }

    [Fact]
    public void ChangingAPresentEntryWhileIteratingIsAllowedAddingOrRemovingIsNot()
    {
        var pt = new CpuPageTable();
        for (ulong i = 0; i < 4; i++) pt.Set(Base + i * PerDir, Frame(i));

        foreach (var (vpn, pte) in pt.All) pt.Set(vpn, pte with { Writable = false });
        Assert.All(Entries(pt.All), e => Assert.False(e.Pte.Writable));

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var (vpn, _) in pt.All) pt.Remove(vpn);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var (vpn, _) in pt.All) pt.Set(vpn + 1, Frame(9));
        });
    }

    [Fact]
    public void CloneIsIndependentOfTheOriginal()
    {
        var pt = new CpuPageTable();
        pt.Set(Base, Frame(1));
        pt.Set(Base + PerDir, new CpuPte(CpuPteKind.DevicePrivate, new Pfn(2), true, "dev0"));

        var copy = pt.Clone();
        pt.Set(Base, Frame(5));
        pt.Remove(Base + PerDir);
        copy.Set(Base + 1, Frame(6));

        Assert.Equal([(Base, Frame(1)), (Base + 1, Frame(6)), (Base + PerDir, new CpuPte(CpuPteKind.DevicePrivate, new Pfn(2), true, "dev0"))],
            Entries(copy.All));
        Assert.Equal(3, copy.Count);
        Assert.Equal([(Base, Frame(5))], Entries(pt.All));
        Assert.Equal(1, pt.Count);
    }

    [Fact]
    public void ClearEmptiesTheTable()
    {
        var pt = new CpuPageTable();
        for (ulong i = 0; i < 2000; i++) pt.Set(Base + i, Frame(i));

        pt.Clear();

        Assert.Equal(0, pt.Count);
        Assert.Equal(0, pt.DirectoryCount);
        Assert.Null(pt.Get(Base));
        Assert.Empty(Entries(pt.All));
    }

    [Fact]
    public void CountsFollowAModelUnderRandomOperations()
    {
        var pt = new CpuPageTable();
        var model = new SortedDictionary<ulong, CpuPte>();
        var rng = new Random(1234);
        for (var step = 0; step < 20_000; step++)
        {
            // Pages in four directories, two of them adjacent, so directories empty and refill often.
            var vpn = Base + (ulong)rng.Next(4) * PerDir * 3 / 2 + (ulong)rng.Next(PerDir / 8);
            if (rng.Next(3) == 0)
            {
                var removed = model.Remove(vpn, out var expected);
                Assert.Equal(removed, pt.Remove(vpn, out var old));
                if (removed) Assert.Equal(expected, old);
            }
            else
            {
                var pte = Frame((ulong)step, rng.Next(2) == 0);
                model.TryGetValue(vpn, out var before);
                Assert.Equal(model.ContainsKey(vpn) ? before : null, pt.Exchange(vpn, pte));
                model[vpn] = pte;
            }
            Assert.Equal(model.Count, pt.Count);
        }
        Assert.Equal(model.Select(kv => (kv.Key, kv.Value)), Entries(pt.All));
        Assert.Equal(model.Keys.Select(k => k >> CpuPageTable.DirectoryShift).Distinct().Count(), pt.DirectoryCount);
    }
}
