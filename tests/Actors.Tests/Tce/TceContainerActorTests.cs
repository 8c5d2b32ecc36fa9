using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tce;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Tce;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Tce;

/// <summary>
/// The VFIO sPAPR container (seed 003): MAP_DMA/UNMAP_DMA through TCE exchange with the pins, the
/// releases and their dirty marks, every errno with its "changes nothing" check, the rollback of a
/// build that fails half way, the kill per batch, and device DMA through the PHB. Each test runs on
/// both dispatchers.
/// </summary>
public abstract partial class TceContainerActorTests(ITestOutputHelper output, bool deterministic)
    : IommuSim.TestKit.DispatcherTestBase(output, deterministic)
{
    private const ulong Page = TceMachine.Page;
    private const VfioDmaMapFlags RW = VfioDmaMapFlags.Read | VfioDmaMapFlags.Write;

    private TceMachine Machine(TceMachineOptions? options = null) => new(Kit, options);

    private static ulong Value(ulong i) => 0xC0DE_0000UL + i;

    [Fact]
    public void Data_a_device_writes_through_the_tces_lands_in_the_process_pages_and_it_reads_what_the_cpu_wrote()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(8, Value);
        var iova = m.WindowStart + 16 * Page;
        Assert.Equal(Errno.None, m.Map(buffer, iova, 8 * Page, RW));

        var read = m.DmaRead(iova, 8);
        Assert.Equal(Errno.None, read.Errno);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => Value((ulong)i)), read.Values);

        Assert.Equal(Errno.None, m.DmaWrite(iova + 2 * Page, [0xAA, 0xBB]).Errno);
        Assert.Equal(0xAAUL, m.CpuRead(buffer + 2 * Page));
        Assert.Equal(0xBBUL, m.CpuRead(buffer + 3 * Page));
        Assert.Equal(Value(4), m.CpuRead(buffer + 4 * Page));

        var stats = m.Stats();
        Assert.Equal((8L, 8L, 8L), (stats.PinnedPages, stats.ValidTces, stats.PagesPinned));
        Assert.Equal(8, m.Memory.Counters.PinnedPages);
        m.TearDownAndCheck();
    }

    [Theory]
    [InlineData(VfioDmaMapFlags.Read, DmaDirection.ToDevice, true, false)]
    [InlineData(VfioDmaMapFlags.Write, DmaDirection.FromDevice, false, true)]
    [InlineData(VfioDmaMapFlags.Read | VfioDmaMapFlags.Write, DmaDirection.Bidirectional, true, true)]
    public void The_direction_comes_from_the_flags_and_the_phb_enforces_it(VfioDmaMapFlags flags, DmaDirection direction, bool canRead, bool canWrite)
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(1, Value);
        var iova = m.WindowStart;
        Assert.Equal(Errno.None, m.Map(buffer, iova, Page, flags));
        Assert.Equal(direction, m.Entry(iova).Direction);
        Assert.Equal(canRead ? Errno.None : Errno.EPERM, m.DmaRead(iova, 1).Errno);
        Assert.Equal(canWrite ? Errno.None : Errno.EPERM, m.DmaWrite(iova, [7]).Errno);
        Assert.Equal(canWrite ? 7UL : Value(0), m.CpuRead(buffer));
        m.TearDownAndCheck();
    }

    [Theory]
    [InlineData(VfioDmaMapFlags.Read, false)]
    [InlineData(VfioDmaMapFlags.Write, true)]
    [InlineData(VfioDmaMapFlags.Read | VfioDmaMapFlags.Write, true)]
    public void Unmap_releases_each_page_dirty_exactly_when_the_device_could_write_it(VfioDmaMapFlags flags, bool dirty)
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(2, Value);
        var iova = m.WindowStart + 4 * Page;
        Assert.Equal(Errno.None, m.Map(buffer, iova, 2 * Page, flags));
        var pages = new[] { m.Entry(iova).Pfn, m.Entry(iova + Page).Pfn };
        // The CPU's stores dirtied the pages: start clean, so the only mark can be the release's.
        foreach (var pfn in pages) m.Memory.TestClearPageDirty(pfn, out _);

        Assert.Equal(Errno.None, m.Unmap(iova, 2 * Page));
        foreach (var pfn in pages)
        {
            Assert.Equal(dirty, m.Memory.PageDirty(pfn));
            Assert.Equal(0, m.Memory.PagePinCount(pfn));
        }
        var stats = m.Stats();
        Assert.Equal((0L, 0L, 2L, dirty ? 2L : 0L), (stats.PinnedPages, stats.ValidTces, stats.PagesReleased, stats.PagesDirtied));
        Assert.Equal(Errno.EFAULT, m.DmaRead(iova, 1).Errno);
        m.TearDownAndCheck();
    }

    [Fact]
    public void A_map_over_a_mapped_entry_exchanges_it_and_releases_the_replaced_page_with_its_own_direction()
    {
        using var m = Machine().Ready();
        var first = m.Mmap(1, Value);
        var second = m.Mmap(1, i => 0x5EC0 + i);
        var iova = m.WindowStart;
        Assert.Equal(Errno.None, m.Map(first, iova, Page, VfioDmaMapFlags.Write));
        var old = m.Entry(iova).Pfn;
        m.Memory.TestClearPageDirty(old, out _);

        Assert.Equal(Errno.None, m.Map(second, iova, Page, VfioDmaMapFlags.Read));
        Assert.True(m.Memory.PageDirty(old), "the replaced FROM_DEVICE page must be dirty");
        Assert.Equal(0, m.Memory.PagePinCount(old));
        Assert.Equal(DmaDirection.ToDevice, m.Entry(iova).Direction);
        Assert.Equal([0x5EC0UL], m.DmaRead(iova, 1).Values);
        var stats = m.Stats();
        Assert.Equal((1L, 1L, 2L, 1L), (stats.PinnedPages, stats.ValidTces, stats.Exchanges, stats.PagesReleased));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Map_and_unmap_when_not_enabled_are_EPERM_and_change_nothing()
    {
        using var m = Machine();
        Assert.Equal(Errno.None, m.Attach());
        var buffer = m.Mmap(1, Value);
        Assert.Equal(Errno.EPERM, m.Map(buffer, m.WindowStart, Page));
        Assert.Equal(Errno.EPERM, m.Unmap(m.WindowStart, Page));
        AssertNothingMapped(m);
        m.TearDownAndCheck();
    }

    public static TheoryData<string, ulong, ulong, ulong, VfioDmaMapFlags, Errno> BadMaps()
    {
        // Offsets relative to the buffer and the window start; the window has 0x400 entries.
        var d = new TheoryData<string, ulong, ulong, ulong, VfioDmaMapFlags, Errno>
        {
            { "unknown flag", 0, 0, Page, RW | (VfioDmaMapFlags)4, Errno.EINVAL },
            { "no window holds the iova", 0, 0x400 * Page, Page, RW, Errno.ENXIO },
            { "size not a multiple of the iommu page", 0, 0, Page + 8, RW, Errno.EINVAL },
            { "TCE_PCI_READ in the address", 1, 0, Page, RW, Errno.EINVAL },
            { "TCE_PCI_WRITE in the address", 2, 0, Page, RW, Errno.EINVAL },
            { "neither read nor write", 0, 0, Page, VfioDmaMapFlags.None, Errno.EINVAL },
            { "address not page aligned, put_param_check", 0x10, 0, Page, RW, Errno.EINVAL },
            { "iova not page aligned, put_param_check", 0, 0x800, Page, RW, Errno.EINVAL },
            { "a hole in the process memory", 64 * Page, 0, Page, RW, Errno.EFAULT },
        };
        return d;
    }

    [Theory]
    [MemberData(nameof(BadMaps))]
    public void Map_dma_with_a_bad_argument_answers_the_seeds_errno_not_the_kernel_macros_1_and_changes_nothing(
        string what, ulong vaddrOffset, ulong iovaOffset, ulong size, VfioDmaMapFlags flags, Errno expected)
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(4, Value);
        Assert.Equal(Errno.None, m.Map(buffer + 3 * Page, m.WindowStart + 0x3FF * Page, Page));
        var before = m.Entry(m.WindowStart + 0x3FF * Page);

        Assert.True(expected == m.Map(buffer + vaddrOffset, m.WindowStart + iovaOffset, size, flags), what);

        var stats = m.Stats();
        Assert.Equal((1L, 1L), (stats.PinnedPages, stats.ValidTces));
        Assert.Equal(before, m.Entry(m.WindowStart + 0x3FF * Page));
        Assert.Equal(1, m.Memory.Counters.PinnedPages);
        m.TearDownAndCheck();
    }

    [Fact]
    public void Map_dma_running_past_the_window_is_EINVAL_up_front_where_the_kernel_checks_only_the_first_entry()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(4, Value);
        // Starts at the last entry: iommu_tce_check_ioba with one page lets the kernel go on past the end.
        Assert.Equal(Errno.EINVAL, m.Map(buffer, m.WindowStart + 0x3FF * Page, 2 * Page));
        AssertNothingMapped(m);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart + 0x3FE * Page, 2 * Page));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Map_dma_of_size_zero_succeeds_and_maps_nothing()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(1, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, 0));
        AssertNothingMapped(m);
        m.TearDownAndCheck();
    }

    public static TheoryData<string, ulong, ulong, uint, Errno> BadUnmaps() => new()
    {
        { "a flag", 0, Page, 1, Errno.EINVAL },
        { "no window holds the iova", 0x400 * Page, Page, 0, Errno.ENXIO },
        { "size not a multiple of the iommu page", 0, Page / 2, 0, Errno.EINVAL },
        { "iova not page aligned", 0x10, Page, 0, Errno.EINVAL },
        { "run past the window, where the kernel's clear check ignores the page count", 0x3FF * Page, 2 * Page, 0, Errno.EINVAL },
    };

    [Theory]
    [MemberData(nameof(BadUnmaps))]
    public void Unmap_dma_with_a_bad_argument_answers_EINVAL_not_the_kernel_macros_1_and_changes_nothing(string what, ulong iovaOffset, ulong size, uint flags, Errno expected)
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(1, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart + 0x3FF * Page, Page));
        Assert.True(expected == m.Unmap(m.WindowStart + iovaOffset, size, flags), what);
        var stats = m.Stats();
        Assert.Equal((1L, 1L, 0L), (stats.PinnedPages, stats.ValidTces, stats.PagesReleased));
        Assert.Equal(Errno.None, m.DmaRead(m.WindowStart + 0x3FF * Page, 1).Errno);
        m.TearDownAndCheck();
    }

    [Fact]
    public void Unmap_of_empty_entries_succeeds_and_releases_nothing()
    {
        using var m = Machine().Ready();
        Assert.Equal(Errno.None, m.Unmap(m.WindowStart, 16 * Page));
        Assert.Equal(0L, m.Stats().PagesReleased);
        m.TearDownAndCheck();
    }

    [Fact]
    public void A_build_that_fails_half_way_clears_exactly_the_entries_it_wrote_and_the_rest_keep_their_old_mapping()
    {
        using var m = Machine().Ready();
        // The old mappings: eight pages of one buffer at entries 0..7.
        var old = m.Mmap(8, i => 0x01D0 + i);
        var iova = m.WindowStart;
        Assert.Equal(Errno.None, m.Map(old, iova, 8 * Page, VfioDmaMapFlags.Write));
        var oldPages = Enumerable.Range(0, 8).Select(i => m.Entry(iova + (ulong)i * Page).Pfn).ToArray();
        foreach (var pfn in oldPages) m.Memory.TestClearPageDirty(pfn, out _);

        // The new buffer has a hole at page 3: the pin of page 3 fails after pages 0..2 were exchanged in.
        var fresh = m.Mmap(8, Value);
        Assert.Equal(Errno.None, m.Munmap(fresh + 3 * Page, 1));
        Assert.Equal(Errno.EFAULT, m.Map(fresh, iova, 8 * Page, RW));

        for (var i = 0; i < 3; i++)
        {
            // Written, then cleared by the rollback: empty, and the old page was released dirty.
            Assert.Equal(DmaDirection.None, m.Entry(iova + (ulong)i * Page).Direction);
            Assert.True(m.Memory.PageDirty(oldPages[i]));
            Assert.Equal(0, m.Memory.PagePinCount(oldPages[i]));
        }
        for (var i = 3; i < 8; i++)
        {
            Assert.Equal((oldPages[i], DmaDirection.FromDevice), m.Entry(iova + (ulong)i * Page));
            Assert.False(m.Memory.PageDirty(oldPages[i]));
        }
        var stats = m.Stats();
        Assert.Equal((5L, 5L), (stats.PinnedPages, stats.ValidTces));
        // 8 old pages pinned, 3 new ones; 3 old and 3 new released.
        Assert.Equal((11L, 6L), (stats.PagesPinned, stats.PagesReleased));
        Assert.Equal(5, m.Memory.Counters.PinnedPages);
        Assert.Equal(Errno.EFAULT, m.DmaRead(iova, 1).Errno);
        Assert.Equal(Errno.None, m.DmaWrite(iova + 3 * Page, [0xD3]).Errno);
        Assert.Equal(0xD3UL, m.CpuRead(old + 3 * Page));
        m.TearDownAndCheck();
    }

    [Fact]
    public void A_64K_iommu_page_over_4K_pages_is_EPERM_not_contained_and_the_pin_is_released_where_the_kernel_leaks_it()
    {
        using var m = Machine(new TceMachineOptions { PageShift = 16, Offset = 0x10, Entries = 0x40 }).Ready();
        var buffer = m.Mmap(32, Value);
        var aligned = (buffer + 0xFFFF) & ~0xFFFFUL;
        Assert.Equal(Errno.EPERM, m.Map(aligned, m.WindowStart, 0x1_0000));
        var stats = m.Stats();
        Assert.Equal((0L, 0L, 1L, 1L), (stats.PinnedPages, stats.ValidTces, stats.PagesPinned, stats.PagesReleased));
        Assert.Equal(0, m.Memory.Counters.PinnedPages);
        m.TearDownAndCheck();
    }

    [Fact]
    public void One_kill_with_a_sync_per_batch_and_a_replaced_page_is_released_only_after_it()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(16, Value);
        var iova = m.WindowStart;
        var unitBefore = m.UnitStats();
        Assert.Equal(Errno.None, m.Map(buffer, iova, 16 * Page));
        Assert.Equal(16, m.DmaRead(iova, 16).Pages);
        Assert.Equal(Errno.None, m.Unmap(iova, 16 * Page));
        var unit = m.UnitStats();
        Assert.Equal((2L, 2L), (unit.InvalidationCommands - unitBefore.InvalidationCommands, unit.Syncs - unitBefore.Syncs));
        Assert.Equal(2L, m.Stats().Kills);
        // Seed 003's per-exchange invalidation would be 32; iommu_tce_kill makes it one per batch.
        Assert.Equal(2L, m.Table.Invalidations);
        Assert.Equal(0, unit.IotlbValidEntries);
        m.TearDownAndCheck();
    }

    [Fact]
    public void A_table_the_phb_does_not_cache_is_never_killed_and_its_tces_are_fetched_on_every_access()
    {
        using var m = Machine(new TceMachineOptions { Type = TceTableType.Pci }).Ready();
        var buffer = m.Mmap(4, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, 4 * Page));
        Assert.Equal(4, m.DmaRead(m.WindowStart, 4).Pages);
        Assert.Equal(4, m.DmaRead(m.WindowStart, 4).Pages);
        var unit = m.UnitStats();
        Assert.Equal((0, 8L, 0L), (unit.IotlbValidEntries, unit.Walks, unit.IotlbHits));
        Assert.Equal(Errno.None, m.Unmap(m.WindowStart, 4 * Page));
        Assert.Equal((0L, 0L), (m.Stats().Kills, m.Table.Invalidations));
        Assert.Equal(Errno.EFAULT, m.DmaRead(m.WindowStart, 1).Errno);
        m.TearDownAndCheck();
    }

    [Fact]
    public void After_unmap_no_cached_tce_is_left_and_the_device_faults()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(2, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, 2 * Page));
        Assert.Equal(2, m.DmaRead(m.WindowStart, 2).Pages);
        Assert.True(m.Call<UnitProbeResult>(m.Unit.Ref, new UnitProbe("gpu0", new Iova(m.WindowStart))).InIotlb);
        Assert.Equal(Errno.None, m.Unmap(m.WindowStart, 2 * Page));
        var probe = m.Call<UnitProbeResult>(m.Unit.Ref, new UnitProbe("gpu0", new Iova(m.WindowStart)));
        Assert.False(probe.InIotlb || probe.InMicroTlb);
        var write = m.DmaWrite(m.WindowStart, [1, 2]);
        Assert.Equal((Errno.EFAULT, 0), (write.Errno, write.Pages));
        m.TearDownAndCheck();
    }

    [Fact]
    public void A_pinned_page_outlives_the_munmap_of_its_process_mapping_until_unmap_dma_releases_it()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(2, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, 2 * Page, VfioDmaMapFlags.Write));
        var pfn = m.Entry(m.WindowStart).Pfn;
        Assert.Equal(Errno.None, m.Munmap(buffer, 2));
        Assert.True(m.Memory.IsPageLive(pfn));
        Assert.Equal(Errno.None, m.DmaWrite(m.WindowStart, [0x99]).Errno);
        Assert.Equal(Errno.None, m.Unmap(m.WindowStart, 2 * Page));
        Assert.False(m.Memory.IsPageLive(pfn));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Requests_sent_without_waiting_are_answered_in_order_one_at_a_time()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(4, Value);
        Send(m.Container, new VfioMapDma(buffer, m.WindowStart, 4 * Page, RW));
        Send(m.Container, new VfioUnmapDma(m.WindowStart, 2 * Page));
        Send(m.Container, new VfioMapDma(buffer, m.WindowStart + 0x400 * Page, Page, RW));
        Send(m.Container, new GetTceContainerStats());
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.Equal(Errno.ENXIO, ExpectMsg<Done>().Errno);
        var stats = ExpectMsg<TceContainerStats>();
        Assert.Equal((2L, 2L), (stats.PinnedPages, stats.ValidTces));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Without_the_dirty_mark_on_release_the_oracle_catches_a_page_the_device_wrote_released_clean()
    {
        using var m = Machine(new TceMachineOptions { Container = new TceContainerOptions { SkipDirtyOnRelease = true } }).Ready();
        var buffer = m.Mmap(1, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, Page, VfioDmaMapFlags.Write));
        var pfn = m.Entry(m.WindowStart).Pfn;
        m.CleanAllPages();
        Assert.Equal(Errno.None, m.DmaWrite(m.WindowStart, [0x77]).Errno);
        Assert.Equal(Errno.None, m.Unmap(m.WindowStart, Page));
        Assert.False(m.Memory.PageDirty(pfn));
        var v = Assert.Single(m.PinOracle.Violations);
        Assert.Equal(TcePinOracle.DirtyInvariant, v.Invariant);
        Assert.Equal([pfn.ToString()], v.Pages);
    }

    private static void AssertNothingMapped(TceMachine m)
    {
        var stats = m.Stats();
        Assert.Equal((0L, 0L, 0L), (stats.PinnedPages, stats.ValidTces, stats.Exchanges));
        Assert.Equal(0, m.Memory.Counters.PinnedPages);
    }
}

public sealed class TceContainerActorThreadPoolTests(ITestOutputHelper output) : TceContainerActorTests(output, deterministic: false);

public sealed class TceContainerActorDeterministicTests(ITestOutputHelper output) : TceContainerActorTests(output, deterministic: true);
