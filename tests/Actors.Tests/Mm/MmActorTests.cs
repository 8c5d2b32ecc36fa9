using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mm;

/// <summary>The mm's system calls, CPU accesses and device faults: results, errnos, and that a failed call changes nothing.</summary>
public abstract class MmActorTests(ITestOutputHelper output, bool deterministic) : HmmKit(output, deterministic)
{
    private MmapReply Remap(ulong old, ulong oldPages, ulong newPages, MremapFlags flags, ulong? to = null) =>
        Call<MmapReply>(Mm, new Mremap(new VirtAddr(old), oldPages * Page, newPages * Page, flags, to is { } t ? new VirtAddr(t) : null));

    [Fact]
    public void Munmap_of_a_middle_range_splits_the_vma_and_faults_there_are_efault()
    {
        var addr = Mmap(16);
        CpuFill(addr, 16, i => i);
        Assert.Equal(1, Stats().Vmas);

        Assert.Equal(Errno.None, Munmap(addr + 4 * Page, 4));

        Assert.Equal((2, 12L), (Stats().Vmas, Stats().ResidentPages));
        Assert.Equal(Errno.EFAULT, CpuReadReply(addr + 5 * Page).Errno);
        Assert.Equal(3UL, CpuRead(addr + 3 * Page));
        Assert.Equal(8UL, CpuRead(addr + 8 * Page));
        Assert.Equal(Errno.None, Munmap(addr, 16));
        Assert.Equal((0, 0L), (Stats().Vmas, Stats().ResidentPages));
        // munmap of nothing succeeds; a bad range does not.
        Assert.Equal(Errno.None, Munmap(addr, 16));
        Assert.Equal(Errno.EINVAL, Call<Done>(Mm, new Munmap(new VirtAddr(addr + 1), Page)).Errno);
        Assert.Equal(Errno.EINVAL, Call<Done>(Mm, new Munmap(new VirtAddr(addr), 0)).Errno);
    }

    [Fact]
    public void Mmap_rejects_bad_arguments_and_changes_nothing()
    {
        Assert.Equal(Errno.EINVAL, Call<MmapReply>(Mm, new Mmap(0, RW)).Errno);
        Assert.Equal(Errno.EINVAL, Call<MmapReply>(Mm, new Mmap(Page, (Prot)4)).Errno);
        Assert.Equal(Errno.EINVAL, Call<MmapReply>(Mm, new Mmap(Page, RW, MapKind.Private, new VirtAddr(0x1000_0010))).Errno);
        Assert.Equal(Errno.ENOMEM, Call<MmapReply>(Mm, new Mmap(Page, RW, MapKind.Private, new VirtAddr(1UL << 47))).Errno);
        Assert.Equal(Errno.ENOMEM, Call<MmapReply>(Mm, new Mmap(ulong.MaxValue, RW)).Errno);
        Assert.Equal(0, Stats().Vmas);
    }

    [Fact]
    public void Mmap_places_large_mappings_on_2mib_boundaries_and_fixed_mappings_replace_what_was_there()
    {
        var small = Mmap(1);
        var large = Mmap(512);
        Assert.Equal(0UL, large % (2UL << 20));
        Assert.True(large > small);

        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);
        var r = Call<MmapReply>(Mm, new Mmap(2 * Page, RW, MapKind.Private, new VirtAddr(addr + Page)));
        Assert.Equal((Errno.None, addr + Page), (r.Errno, r.Address.Value));
        Assert.Equal(new ulong[] { 1, 0, 0, 4 }, CpuReadAll(addr, 4));
        Assert.Equal(5, Stats().Vmas);
    }

    [Fact]
    public void Mprotect_over_a_hole_is_enomem_and_changes_nothing()
    {
        var addr = Mmap(8);
        Assert.Equal(Errno.None, Munmap(addr + 4 * Page, 1));

        Assert.Equal(Errno.ENOMEM, Mprotect(addr, 8, Prot.Read));

        Assert.Equal(Errno.None, CpuWrite(addr, 1));
        Assert.Equal(Errno.None, CpuWrite(addr + 7 * Page, 1));
        Assert.Equal(Errno.EINVAL, Call<Done>(Mm, new Mprotect(new VirtAddr(addr), Page, (Prot)8)).Errno);
        Assert.Equal(Errno.EINVAL, Call<Done>(Mm, new Mprotect(new VirtAddr(addr + 8), Page, Prot.Read)).Errno);
        Assert.Equal(2, Stats().Vmas);
    }

    [Fact]
    public void Mprotect_decides_what_the_cpu_may_do()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);

        Assert.Equal(Errno.None, Mprotect(addr + Page, 2, Prot.Read));
        Assert.Equal(3, Stats().Vmas);
        Assert.Equal(Errno.EACCES, CpuWrite(addr + Page, 9));
        Assert.Equal(2UL, CpuRead(addr + Page));

        Assert.Equal(Errno.None, Mprotect(addr + Page, 2, Prot.None));
        Assert.Equal(Errno.EACCES, CpuReadReply(addr + Page).Errno);

        Assert.Equal(Errno.None, Mprotect(addr + Page, 2, RW));
        Assert.Equal(1, Stats().Vmas); // merged again
        Assert.Equal(Errno.None, CpuWrite(addr + Page, 9));
        Assert.Equal(new ulong[] { 1, 9, 3, 4 }, CpuReadAll(addr, 4));
    }

    [Fact]
    public void Mremap_shrinks_grows_and_moves()
    {
        var addr = Mmap(8);
        CpuFill(addr, 8, i => i + 1);

        var shrunk = Remap(addr, 8, 4, MremapFlags.None);
        Assert.Equal((Errno.None, addr), (shrunk.Errno, shrunk.Address.Value));
        Assert.Equal(Errno.EFAULT, CpuReadReply(addr + 5 * Page).Errno);
        Assert.Equal(4L, Stats().ResidentPages);

        var grown = Remap(addr, 4, 6, MremapFlags.None);
        Assert.Equal((Errno.None, addr), (grown.Errno, grown.Address.Value));
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 0, 0 }, CpuReadAll(addr, 6));

        // A mapping right after it blocks growth in place: without MAYMOVE it is ENOMEM, with it the pages move.
        Assert.Equal(Errno.None, Call<MmapReply>(Mm, new Mmap(Page, RW, MapKind.Private, new VirtAddr(addr + 6 * Page))).Errno);
        Assert.Equal(Errno.ENOMEM, Remap(addr, 6, 10, MremapFlags.None).Errno);
        var moved = Remap(addr, 6, 10, MremapFlags.MayMove);
        Assert.Equal(Errno.None, moved.Errno);
        Assert.NotEqual(addr, moved.Address.Value);
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 0, 0, 0, 0, 0, 0 }, CpuReadAll(moved.Address.Value, 10));
        Assert.Equal(Errno.EFAULT, CpuReadReply(addr).Errno);
    }

    [Fact]
    public void Mremap_rejects_bad_arguments_and_changes_nothing()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);
        var other = Mmap(4);

        Assert.Equal(Errno.EINVAL, Remap(addr, 4, 4, MremapFlags.Fixed, other).Errno);                          // FIXED without MAYMOVE
        Assert.Equal(Errno.EINVAL, Remap(addr, 4, 8, MremapFlags.MayMove | MremapFlags.DontUnmap).Errno);      // DONTUNMAP needs equal sizes
        Assert.Equal(Errno.EINVAL, Remap(addr, 4, 4, MremapFlags.MayMove | MremapFlags.Fixed, addr + 2 * Page).Errno); // overlaps
        Assert.Equal(Errno.EINVAL, Remap(addr + 1, 1, 1, MremapFlags.None).Errno);
        Assert.Equal(Errno.EINVAL, Remap(addr, 4, 0, MremapFlags.None).Errno);
        Assert.Equal(Errno.EFAULT, Remap(addr, 5, 5, MremapFlags.MayMove).Errno);                               // beyond the VMA
        Assert.Equal(Errno.EFAULT, Remap(addr + (1UL << 30), 1, 1, MremapFlags.MayMove).Errno);                 // no VMA

        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, CpuReadAll(addr, 4));
        Assert.Equal(2, Stats().Vmas);
    }

    [Fact]
    public void Mremap_dontunmap_leaves_an_empty_mapping_behind()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);
        var target = addr + (32UL << 20);

        var r = Remap(addr, 4, 4, MremapFlags.MayMove | MremapFlags.Fixed | MremapFlags.DontUnmap, target);

        Assert.Equal((Errno.None, target), (r.Errno, r.Address.Value));
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, CpuReadAll(target, 4));
        Assert.Equal(new ulong[4], CpuReadAll(addr, 4));
    }

    [Fact]
    public void Fork_shares_pages_copy_on_write_until_one_side_writes()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);
        var live = Memory.Counters.Live;

        var child = Call<ForkReply>(Mm, new Fork("child")).Child!;
        Assert.Equal(live, Memory.Counters.Live);

        Assert.Equal(Errno.None, CpuWrite(addr, 100, child));   // copy
        Assert.Equal(live + 1, Memory.Counters.Live);
        Assert.Equal(Errno.None, CpuWrite(addr, 200));          // the parent's page has no other user: reused
        Assert.Equal(live + 1, Memory.Counters.Live);
        Assert.Equal(new ulong[] { 200, 2, 3, 4 }, CpuReadAll(addr, 4));
        Assert.Equal(new ulong[] { 100, 2, 3, 4 }, CpuReadAll(addr, 4, child));

        Assert.Equal(Errno.None, Call<Done>(child, new Exit()).Errno);
        Assert.Equal(live, Memory.Counters.Live);
        Assert.Equal(new ulong[] { 200, 2, 3, 4 }, CpuReadAll(addr, 4));
    }

    [Fact]
    public void Fork_with_a_taken_or_invalid_name_fails_and_changes_nothing()
    {
        var addr = Mmap(2);
        CpuFill(addr, 2, i => i);
        Assert.Equal(Errno.None, Call<ForkReply>(Mm, new Fork("child")).Errno);
        var invalidations = Stats().Invalidations;
        var live = Memory.Counters.Live;

        Assert.Equal(Errno.EEXIST, Call<ForkReply>(Mm, new Fork("child")).Errno);
        Assert.Equal(Errno.EINVAL, Call<ForkReply>(Mm, new Fork("no/slash")).Errno);

        Assert.Equal(invalidations, Stats().Invalidations);
        Assert.Equal(live, Memory.Counters.Live);
    }

    [Fact]
    public void Exit_releases_every_page_and_later_calls_see_a_dead_process()
    {
        var baseline = Memory.Counters.Live;
        var addr = Mmap(8);
        CpuFill(addr, 8, i => i);
        Assert.Equal(0UL, CpuRead(Mmap(1)));   // the zero page
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, 2).Errno);

        Assert.Equal(Errno.None, Call<Done>(Mm, new Exit()).Errno);

        Assert.Equal(baseline, Memory.Counters.Live);
        Assert.Equal((0, 0L), (Stats().Vmas, Stats().ResidentPages));
        Assert.Equal(Errno.ESRCH, Call<MmapReply>(Mm, new Mmap(Page, RW)).Errno);
        Assert.Equal(Errno.ESRCH, Call<Done>(Mm, new Exit()).Errno);
        Assert.Equal(Errno.EFAULT, CpuReadReply(addr).Errno);
        Assert.Equal(Errno.EFAULT, DeviceRead(mirror, addr, 1).Errno);
        Assert.Equal(0, MirrorStats(mirror).MappedPages);
        AssertDmaSafe();
    }

    [Fact]
    public void A_first_read_maps_the_zero_page_and_a_first_write_a_zeroed_page()
    {
        var addr = Mmap(4);
        var live = Memory.Counters.Live;
        Assert.Equal(0UL, CpuRead(addr));
        Assert.Equal(0UL, CpuRead(addr + Page));
        Assert.Equal(live + 1, Memory.Counters.Live);   // one zero page for the mm
        Assert.Equal(Errno.None, CpuWrite(addr + Page, 5));
        Assert.Equal(live + 2, Memory.Counters.Live);
        Assert.Equal(new ulong[] { 0, 5, 0, 0 }, CpuReadAll(addr, 4));
    }

    [Theory]
    [InlineData(0x1000UL, 0x800UL, false, Errno.EINVAL)]  // not page aligned
    [InlineData(0x1000UL, 0UL, false, Errno.EINVAL)]      // empty
    public void Range_fault_rejects_malformed_ranges(ulong offset, ulong length, bool write, Errno expected)
    {
        var addr = Mmap(4);
        var r = Call<RangeFaultReply>(Mm, new RangeFault(AddressRange.FromLength(addr + offset, length), write));
        Assert.Equal(expected, r.Errno);
        var wrap = Call<RangeFaultReply>(Mm, new RangeFault(new AddressRange(0xffff_ffff_ffff_f000UL, 0x1000UL), write));
        Assert.Equal(Errno.EINVAL, wrap.Errno);
    }

    [Fact]
    public void Range_fault_errnos_follow_hmm_tests_and_a_failed_fault_faults_nothing()
    {
        var addr = Mmap(4);
        Assert.Equal(Errno.None, Mprotect(addr + 2 * Page, 1, Prot.Read));
        Assert.Equal(Errno.None, Mprotect(addr + 3 * Page, 1, Prot.None));
        RangeFaultReply Fault(ulong page, ulong pages, bool write) =>
            Call<RangeFaultReply>(Mm, new RangeFault(AddressRange.FromLength(addr + page * Page, pages * Page), write));

        Assert.Equal(Errno.EPERM, Fault(0, 3, write: true).Errno);     // page 2 is read-only
        Assert.Equal(Errno.EFAULT, Fault(0, 4, write: false).Errno);   // page 3 is PROT_NONE
        Assert.Equal(Errno.EFAULT, Fault(0, 5, write: false).Errno);   // page 4 has no VMA
        Assert.Equal(0L, Stats().ResidentPages);

        var ok = Fault(0, 3, write: false);
        Assert.Equal(Errno.None, ok.Errno);
        Assert.Equal(3, ok.Pages.Count);
        Assert.All(ok.Pages, p => Assert.False(p.Write));              // zero pages, read-only
        var w = Fault(0, 2, write: true);
        Assert.All(w.Pages, p => Assert.True(p.Write));
        Assert.Equal(0, w.Sequence % 2);
    }

    [Fact]
    public void A_write_fault_allocates_exactly_the_missing_pages_zeroed_with_one_reference_each()
    {
        var addr = Mmap(64);
        CpuFill(addr, 4, i => i + 1);                                      // pages 0-3: frames of their own
        RangeFaultReply Fault(ulong page, ulong pages, bool write) =>
            Call<RangeFaultReply>(Mm, new RangeFault(AddressRange.FromLength(addr + page * Page, pages * Page), write));
        var written = Fault(0, 4, write: false).Pages.Select(p => p.Pfn).ToArray();
        Assert.All(Fault(8, 8, write: false).Pages, p => Assert.False(p.Write)); // pages 8-15: the zero page
        var before = Memory.Counters;

        var fault = Fault(0, 64, write: true);

        Assert.Equal(Errno.None, fault.Errno);
        var after = Memory.Counters;
        // 60 fresh pages: the 52 missing ones and the 8 that mapped the zero page; nothing failed or leaked.
        Assert.Equal(60, after.Allocated - before.Allocated);
        Assert.Equal(60, after.Live - before.Live);
        Assert.Equal(before.AllocFailures, after.AllocFailures);
        Assert.Equal(64, fault.Pages.Count);
        Assert.Equal(64, fault.Pages.Select(p => p.Pfn).Distinct().Count());
        Assert.Equal(written, fault.Pages.Take(4).Select(p => p.Pfn));
        for (var i = 0; i < 64; i++)
        {
            var page = fault.Pages[i];
            Assert.True(page.Write);
            Assert.Equal(1, Memory.PageRefCount(page.Pfn));
            Assert.Equal(Errno.None, Memory.ReadPage(page.Pfn, out var value));
            Assert.Equal(i < 4 ? (ulong)i + 1 : 0, value);
        }
        Assert.Equal(64L, Stats().ResidentPages);
        // Faulting the range again allocates nothing: every page is already mapped writable.
        Assert.Equal(fault.Pages, Fault(0, 64, write: true).Pages);
        Assert.Equal(after.Allocated, Memory.Counters.Allocated);
    }
}

public sealed class MmActorTestsOnThreadPool(ITestOutputHelper output) : MmActorTests(output, deterministic: false);

public sealed class MmActorTestsDeterministic(ITestOutputHelper output) : MmActorTests(output, deterministic: true);

/// <summary>A machine with 16 pages of RAM: allocation failures must leave everything as it was.</summary>
public sealed class MmOutOfMemoryTests(ITestOutputHelper output) : HmmKit(output, deterministic: true, ramBytes: 16 * Page)
{
    [Fact]
    public void A_fault_that_runs_out_of_memory_half_way_is_rolled_back()
    {
        var addr = Mmap(32);
        CpuFill(addr, 4, i => i + 1);
        var live = Memory.Counters.Live;
        var resident = Stats().ResidentPages;

        var fault = Call<RangeFaultReply>(Mm, new RangeFault(AddressRange.FromLength(addr, 32 * Page), Write: true));
        Assert.Equal(Errno.ENOMEM, fault.Errno);
        Assert.Equal(live, Memory.Counters.Live);
        Assert.Equal(resident, Stats().ResidentPages);

        var mirror = NewMirror();
        var write = DeviceWrite(mirror, addr, Values(32, i => 7));
        Assert.Equal(Errno.ENOMEM, write.Errno);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, CpuReadAll(addr, 4));
        Assert.Equal(live, Memory.Counters.Live);

        // Memory is still usable afterwards.
        Assert.Equal(Errno.None, DeviceWrite(mirror, addr, Values(4, i => 9)).Errno);
        Assert.Equal(new ulong[] { 9, 9, 9, 9 }, CpuReadAll(addr, 4));
        AssertDmaSafe();
    }
}
