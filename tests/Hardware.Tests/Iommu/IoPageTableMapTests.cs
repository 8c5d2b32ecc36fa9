using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IoPageTableMapTests
{
    private static List<(ulong Iova, ulong Size)> Leaves(IoPageTable table) =>
        table.EnumerateLeaves(Iova(0), 1UL << table.AddressBits).Select(l => (l.Iova.Value, l.Size.Bytes)).ToList();

    [Fact]
    public void Map_4K_installs_one_leaf_under_three_new_directories()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0x1234_5000), Phys(0xABCD_E000), K4, IoProt.ReadWrite));

        Assert.Equal([(0x1234_5000UL, K4)], Leaves(table));
        Assert.Equal(4, table.TablePages);
        Assert.Equal(4 * 4096, table.TableBytes);
        Assert.Equal(3, table.DirectoriesAllocated);
        Assert.Equal(K4, table.MappedBytes);
        Assert.Equal(1, table.LeafCount);
    }

    [Fact]
    public void Map_2M_aligned_installs_one_block_leaf()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0x60_0000), Phys(0x8020_0000), M2, IoProt.Read));

        Assert.Equal([(0x60_0000UL, M2)], Leaves(table));
        Assert.Equal(3, table.TablePages);
        Assert.Equal(M2, table.MappedBytes);
    }

    [Fact]
    public void Map_1G_aligned_installs_one_leaf_at_the_second_level()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(3 * G1), Phys(5 * G1), G1, IoProt.ReadWrite));

        Assert.Equal([(3 * G1, G1)], Leaves(table));
        Assert.Equal(2, table.TablePages);
    }

    [Fact]
    public void Map_splits_a_range_into_the_largest_aligned_pages_as_iommu_pgsize_does()
    {
        var table = new IoPageTable();
        // 4K up to the 2M boundary, one 2M page, then a 4K tail.
        Assert.Equal(Errno.None, table.Map(Iova(M2 - K4), Phys(0x8000_0000 + M2 - K4), K4 + M2 + K4, IoProt.ReadWrite));

        Assert.Equal([(M2 - K4, K4), (M2, M2), (2 * M2, K4)], Leaves(table));
        Assert.Equal(K4 + M2 + K4, table.MappedBytes);
    }

    [Fact]
    public void Map_uses_1G_then_2M_then_4K_for_an_aligned_range()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(G1), Phys(2 * G1), G1 + M2 + K4, IoProt.ReadWrite));

        Assert.Equal([(G1, G1), (2 * G1, M2), (2 * G1 + M2, K4)], Leaves(table));
    }

    [Fact]
    public void Map_falls_back_to_4K_pages_when_physical_memory_is_not_aligned_like_the_iova()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0x8020_1000), M2, IoProt.ReadWrite));

        Assert.Equal(512, table.LeafCount);
        Assert.All(Leaves(table), l => Assert.Equal(K4, l.Size));
    }

    [Fact]
    public void Map_honours_a_table_without_huge_pages()
    {
        var table = new IoPageTable(pageSizes: PageSizeBitmap.Size4K);
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), M2, IoProt.ReadWrite));

        Assert.Equal(512, table.LeafCount);
        Assert.Equal(PageSizeBitmap.Size4K, table.PageSizes);
    }

    [Theory]
    [InlineData(0x1001UL, 0x0UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x10UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x0UL, 0x1800UL)]
    public void Map_misaligned_is_EINVAL_and_changes_nothing(ulong iova, ulong phys, ulong size)
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.EINVAL, table.Map(Iova(iova), Phys(phys), size, IoProt.ReadWrite));
        AssertEmpty(table);
    }

    [Fact]
    public void Map_without_read_or_write_is_EINVAL()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.EINVAL, table.Map(Iova(0), Phys(0), K4, IoProt.None));
        AssertEmpty(table);
    }

    [Fact]
    public void Map_beyond_the_address_widths_is_ERANGE()
    {
        var table = new IoPageTable(addressBits: 48, outputAddressBits: 40);
        Assert.Equal(Errno.ERANGE, table.Map(Iova(1UL << 48), Phys(0), K4, IoProt.Read));
        Assert.Equal(Errno.ERANGE, table.Map(Iova((1UL << 48) - K4), Phys(0), 2 * K4, IoProt.Read));
        Assert.Equal(Errno.ERANGE, table.Map(Iova(0), Phys(1UL << 40), K4, IoProt.Read));
        Assert.Equal(Errno.ERANGE, table.Map(Iova(0), Phys(ulong.MaxValue - K4 + 1), 2 * K4, IoProt.Read));
        AssertEmpty(table);
        Assert.Equal(Errno.None, table.Map(Iova((1UL << 48) - K4), Phys((1UL << 40) - K4), K4, IoProt.Read));
    }

    [Fact]
    public void Map_of_zero_bytes_succeeds_and_maps_nothing()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 0, IoProt.Read));
        AssertEmpty(table);
    }

    [Fact]
    public void Map_over_a_4K_leaf_with_a_2M_page_is_EEXIST_and_changes_nothing()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2 + 5 * K4), Phys(0x9000_0000), K4, IoProt.Read));
        var before = Snapshot(table);

        Assert.Equal(Errno.EEXIST, table.Map(Iova(M2), Phys(0x8000_0000), M2, IoProt.ReadWrite));
        Assert.Equal(before, Snapshot(table));
        Assert.Equal(new PhysAddr(0x9000_0000), table.IovaToPhys(Iova(M2 + 5 * K4)));
    }

    [Fact]
    public void Map_inside_a_huge_leaf_is_EEXIST()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(G1), Phys(G1), G1, IoProt.Read));
        var before = Snapshot(table);

        Assert.Equal(Errno.EEXIST, table.Map(Iova(G1 + 7 * M2), Phys(0), K4, IoProt.Read));
        Assert.Equal(Errno.EEXIST, table.Map(Iova(G1 + 7 * M2), Phys(0), M2, IoProt.Read));
        Assert.Equal(before, Snapshot(table));
    }

    [Fact]
    public void Map_whose_last_page_overlaps_fails_whole_without_allocating_directories()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(5 * G1 + 3 * K4), Phys(0x7000_0000), K4, IoProt.Read));
        var before = Snapshot(table);

        // Starts in an untouched 1G region, ends on the mapped page.
        Assert.Equal(Errno.EEXIST, table.Map(Iova(4 * G1), Phys(0), G1 + 4 * K4, IoProt.Read));
        Assert.Equal(before, Snapshot(table));
        Assert.Equal(IoWalkStatus.NotPresent, table.Walk(Iova(4 * G1)).Status);
    }

    [Fact]
    public void Map_twice_the_same_page_is_EEXIST()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(Errno.EEXIST, table.Map(Iova(0), Phys(K4), K4, IoProt.Read));
    }

    [Fact]
    public void Constructor_derives_levels_from_the_address_width()
    {
        Assert.Equal(3, new IoPageTable(addressBits: 39).Levels);
        Assert.Equal(4, new IoPageTable(addressBits: 48).Levels);
        Assert.Equal(5, new IoPageTable(addressBits: 57).Levels);
        Assert.Equal(3, IoPageTable.LevelsFor(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoPageTable(addressBits: 58));
        Assert.Throws<ArgumentException>(() => new IoPageTable(pageSizes: PageSizeBitmap.Size2M));
    }

    [Fact]
    public void A_30_bit_table_cannot_use_1G_pages()
    {
        var table = new IoPageTable(addressBits: 30);
        Assert.Equal(2, table.Levels);
        Assert.Equal(PageSizeBitmap.Size4K | PageSizeBitmap.Size2M, table.PageSizes);
    }

    internal static (long Pages, long Leaves, ulong Mapped, long Allocated, long Freed) Snapshot(IoPageTable t) =>
        (t.TablePages, t.LeafCount, t.MappedBytes, t.DirectoriesAllocated, t.DirectoriesFreed);

    private static void AssertEmpty(IoPageTable table)
    {
        Assert.Equal(1, table.TablePages);
        Assert.Equal(0, table.LeafCount);
        Assert.Equal(0UL, table.MappedBytes);
        Assert.Equal(0, table.DirectoriesAllocated);
    }
}
