using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IoPageTableDirtyTests
{
    private static IoPageTable Tracking()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.SetDirtyTracking(true));
        return table;
    }

    private static void Write(IoPageTable table, ulong iova) =>
        Assert.Equal(IoWalkStatus.Ok, table.Walk(Iova(iova), IoProt.Write).Status);

    [Fact]
    public void Writes_with_tracking_off_set_no_dirty_bit_and_reading_into_a_bitmap_is_EINVAL()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 4 * K4, IoProt.ReadWrite));
        Write(table, K4);
        Assert.False(table.Walk(Iova(K4)).Dirty);

        var bitmap = new IovaBitmap(Iova(0), 4 * K4, PageSize.Size4K);
        Assert.Equal(Errno.EINVAL, table.ReadAndClearDirty(Iova(0), 4 * K4, bitmap));
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 4 * K4, null));
    }

    [Fact]
    public void Enabling_tracking_without_hardware_support_is_EOPNOTSUPP()
    {
        var table = new IoPageTable(dirtyTrackingSupported: false);
        Assert.Equal(Errno.EOPNOTSUPP, table.SetDirtyTracking(true));
        Assert.False(table.DirtyTracking);
        Assert.Equal(Errno.None, table.SetDirtyTracking(false));
    }

    [Fact]
    public void Reads_and_probes_do_not_dirty()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.ReadWrite));
        Assert.True(table.Walk(Iova(0), IoProt.Read).IsOk);
        Assert.False(table.Walk(Iova(0)).Dirty);
    }

    [Fact]
    public void Dirty_4K_pages_are_reported_once_then_cleared()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x10_0000), 16 * K4, IoProt.ReadWrite));
        Write(table, 3 * K4 + 0x10);
        Write(table, 7 * K4);
        Write(table, 7 * K4 + 0x800);

        var bitmap = new IovaBitmap(Iova(0), 16 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 16 * K4, bitmap, false, null, out var leaves));
        Assert.Equal(2, leaves);
        Assert.Equal([3L, 7L], bitmap.SetBits().ToArray());
        Assert.Equal((1UL << 3) | (1UL << 7), bitmap.Words[0]);

        var second = new IovaBitmap(Iova(0), 16 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 16 * K4, second));
        Assert.Equal(0, second.CountSet());
    }

    [Fact]
    public void No_clear_leaves_the_bits_for_the_next_read()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 8 * K4, IoProt.ReadWrite));
        Write(table, 5 * K4);

        for (var i = 0; i < 2; i++)
        {
            var peek = new IovaBitmap(Iova(0), 8 * K4, PageSize.Size4K);
            Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 8 * K4, peek, noClear: true));
            Assert.Equal([5L], peek.SetBits().ToArray());
        }
        Assert.True(table.Walk(Iova(5 * K4)).Dirty);

        var take = new IovaBitmap(Iova(0), 8 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 8 * K4, take));
        Assert.Equal([5L], take.SetBits().ToArray());
        var after = new IovaBitmap(Iova(0), 8 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 8 * K4, after));
        Assert.Equal(0, after.CountSet());
    }

    [Fact]
    public void A_dirty_2M_leaf_sets_all_512_bits_at_4K_granularity()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0x4000_0000), M2, IoProt.ReadWrite));
        Write(table, M2 + 0x5000);

        var bitmap = new IovaBitmap(Iova(0), 3 * M2, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 3 * M2, bitmap, false, null, out var leaves));
        Assert.Equal(1, leaves);
        Assert.Equal(512, bitmap.CountSet());
        Assert.Equal(Enumerable.Range(512, 512).Select(i => (long)i), bitmap.SetBits());
        Assert.All(bitmap.Words.Skip(8).Take(8), w => Assert.Equal(ulong.MaxValue, w));
    }

    [Fact]
    public void A_dirty_leaf_sets_one_bit_of_a_bitmap_at_its_own_page_size()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(G1), Phys(G1), G1, IoProt.ReadWrite));
        Write(table, G1 + 12345 * K4);

        var byGig = new IovaBitmap(Iova(0), 4 * G1, PageSize.Size1G, null);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 4 * G1, byGig, noClear: true));
        Assert.Equal([1L], byGig.SetBits().ToArray());

        var by2M = new IovaBitmap(Iova(G1), G1, PageSize.Size2M);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(G1), G1, by2M));
        Assert.Equal(512, by2M.CountSet());
    }

    [Fact]
    public void Bit_i_stands_for_page_i_from_the_bitmap_iova()
    {
        var table = Tracking();
        var start = 0x10_0000UL;
        Assert.Equal(Errno.None, table.Map(Iova(start), Phys(0), 130 * K4, IoProt.ReadWrite));
        Write(table, start + 65 * K4);
        Write(table, start + 129 * K4);

        var bitmap = new IovaBitmap(Iova(start), 130 * K4, PageSize.Size4K);
        Assert.Equal(3, bitmap.Words.Length);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(start), 130 * K4, bitmap));
        Assert.Equal(0UL, bitmap.Words[0]);
        Assert.Equal(1UL << 1, bitmap.Words[1]);
        Assert.Equal(1UL << 1, bitmap.Words[2]);
        Assert.True(bitmap.IsDirty(Iova(start + 65 * K4 + 0x123)));
        Assert.False(bitmap.IsDirty(Iova(start + 64 * K4)));
    }

    [Fact]
    public void A_huge_leaf_straddling_the_range_is_clamped_in_the_bitmap_but_cleared_whole()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0), M2, IoProt.ReadWrite));
        Write(table, M2);

        // Read only the upper half of the leaf: the bitmap gets 256 pages ...
        var upper = new IovaBitmap(Iova(M2 + M2 / 2), M2 / 2, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(M2 + M2 / 2), M2 / 2, upper));
        Assert.Equal(256, upper.CountSet());

        // ... and the IOPTE's single dirty bit is gone, so the lower half reads clean.
        var lower = new IovaBitmap(Iova(M2), M2 / 2, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(M2), M2 / 2, lower));
        Assert.Equal(0, lower.CountSet());
    }

    [Fact]
    public void Clearing_without_a_bitmap_works_while_tracking_is_off()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.ReadWrite));
        Write(table, 0);
        Assert.Equal(Errno.None, table.SetDirtyTracking(false));
        Assert.True(table.Walk(Iova(0)).Dirty);

        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), K4, null, false, null, out var leaves));
        Assert.Equal(1, leaves);
        Assert.False(table.Walk(Iova(0)).Dirty);
    }

    [Fact]
    public void Dirty_leaves_are_added_to_the_gather_as_ranges()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 4 * M2, IoProt.ReadWrite));
        Write(table, M2 + K4);
        Write(table, 3 * M2);

        var gather = new IotlbGather();
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 4 * M2, new IovaBitmap(Iova(0), 4 * M2, PageSize.Size4K), false, gather));
        Assert.Equal(new AddressRange(M2, 4 * M2), gather.Range);
        Assert.Equal(0UL, gather.PageSizeBytes);
    }

    [Fact]
    public void A_scan_of_the_whole_address_space_finds_the_few_dirty_leaves()
    {
        var table = Tracking();
        ulong[] pages = [0, 7 * G1 + 3 * K4, 1UL << 40, (1UL << 47) + 5 * M2, (1UL << 48) - K4];
        foreach (var page in pages)
        {
            Assert.Equal(Errno.None, table.Map(Iova(page), Phys(0), K4, IoProt.ReadWrite));
            Write(table, page);
        }
        Assert.Equal(Errno.None, table.Map(Iova(9 * G1), Phys(0), K4, IoProt.ReadWrite));

        var gather = new IotlbGather();
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 1UL << 48, null, false, gather, out var leaves));
        Assert.Equal(pages.Length, leaves);
        Assert.Equal(new AddressRange(0, 1UL << 48), gather.Range);
    }

    [Fact]
    public void A_wrapping_range_is_EOVERFLOW_and_an_empty_one_does_nothing()
    {
        var table = Tracking();
        Assert.Equal(Errno.EOVERFLOW, table.ReadAndClearDirty(Iova(ulong.MaxValue - K4 + 1), 2 * K4, null));
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 0, null, false, null, out var leaves));
        Assert.Equal(0, leaves);
    }

    [Fact]
    public void EnumerateLeaves_shows_dirty_bits()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 2 * K4, IoProt.ReadWrite));
        Write(table, K4);
        Assert.Equal([false, true], table.EnumerateLeaves(Iova(0), 2 * K4).Select(l => l.Dirty).ToArray());
    }

    [Fact]
    public void A_dirty_leaf_unmapped_and_mapped_again_is_clean()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 2 * K4, IoProt.ReadWrite));
        Write(table, 0);
        Write(table, K4);
        Assert.Equal(K4, table.Unmap(Iova(0), K4));
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x9000), K4, IoProt.ReadWrite));
        Assert.False(table.Walk(Iova(0)).Dirty);
        var bitmap = new IovaBitmap(Iova(0), 2 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 2 * K4, bitmap));
        Assert.Equal([1L], bitmap.SetBits().ToArray());
    }

    [Fact]
    public void A_huge_leaf_over_a_kept_directory_whose_leaves_were_dirty_is_clean()
    {
        var table = new IoPageTable(freeEmptyDirectories: false);
        Assert.Equal(Errno.None, table.SetDirtyTracking(true));
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0), K4, IoProt.ReadWrite));
        Write(table, M2);
        Assert.Equal(K4, table.Unmap(Iova(M2), K4));
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(M2), M2, IoProt.ReadWrite));
        Assert.False(table.Walk(Iova(M2)).Dirty);
        var bitmap = new IovaBitmap(Iova(0), 4 * M2, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 4 * M2, bitmap, false, null, out var leaves));
        Assert.Equal((0L, 0L), (leaves, bitmap.CountSet()));
    }

    [Fact]
    public void A_read_of_part_of_a_table_page_leaves_its_other_dirty_leaves_for_later()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(K4), 512 * K4, IoProt.ReadWrite)); // not 2 MiB aligned: 4 KiB leaves
        foreach (var page in new ulong[] { 3, 63, 64, 200, 511 }) Write(table, page * K4);
        var middle = new IovaBitmap(Iova(64 * K4), 137 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(64 * K4), 137 * K4, middle));
        Assert.Equal([0L, 136L], middle.SetBits().ToArray());
        var all = new IovaBitmap(Iova(0), 512 * K4, PageSize.Size4K);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 512 * K4, all));
        Assert.Equal([3L, 63L, 511L], all.SetBits().ToArray());
    }

    [Fact]
    public void A_write_that_faults_dirties_nothing()
    {
        var table = Tracking();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(IoWalkStatus.PermissionFault, table.Walk(Iova(0), IoProt.Write).Status);
        Assert.Equal(IoWalkStatus.NotPresent, table.Walk(Iova(G1), IoProt.Write).Status);
        Assert.False(table.Walk(Iova(0)).Dirty);
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 2 * G1, new IovaBitmap(Iova(0), 2 * G1, PageSize.Size4K), false, null, out var leaves));
        Assert.Equal(0L, leaves);
    }
}
