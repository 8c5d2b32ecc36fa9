using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IoPageTableWalkTests
{
    [Theory]
    [InlineData(48, 0x1000UL, 4)]
    [InlineData(48, 0x20_0000UL, 3)]
    [InlineData(48, 0x4000_0000UL, 2)]
    [InlineData(39, 0x1000UL, 3)]
    [InlineData(39, 0x4000_0000UL, 1)]
    [InlineData(57, 0x1000UL, 5)]
    [InlineData(57, 0x4000_0000UL, 3)]
    public void Walk_translates_with_the_page_offset_and_counts_levels(int bits, ulong size, int levels)
    {
        var table = new IoPageTable(addressBits: bits);
        var iova = 3 * G1;
        var phys = 7 * G1;
        Assert.Equal(Errno.None, table.Map(Iova(iova), Phys(phys), size, IoProt.ReadWrite));

        var offset = size - 0x18;
        var walk = table.Walk(Iova(iova + offset), IoProt.Read);
        Assert.Equal(IoWalkStatus.Ok, walk.Status);
        Assert.Equal(new PhysAddr(phys + offset), walk.Phys);
        Assert.Equal(new PhysAddr(phys), walk.PageBase);
        Assert.Equal(size, walk.PageSize.Bytes);
        Assert.Equal(IoProt.ReadWrite, walk.Prot);
        Assert.Equal(levels, walk.Levels);
        Assert.False(walk.Dirty);
    }

    [Fact]
    public void Walk_of_a_57_bit_table_reaches_iovas_above_48_bits()
    {
        var table = new IoPageTable(addressBits: 57);
        var iova = (1UL << 56) + 0x1234_5000;
        Assert.Equal(Errno.None, table.Map(Iova(iova), Phys(0xAB000), K4, IoProt.Read));
        Assert.Equal(new PhysAddr(0xAB123), table.IovaToPhys(Iova(iova + 0x123)));
    }

    [Fact]
    public void Walk_of_an_empty_table_stops_at_the_root_and_reports_the_span_it_skips()
    {
        var table = new IoPageTable();
        var walk = table.Walk(Iova(0x1234_5678));
        Assert.Equal(IoWalkStatus.NotPresent, walk.Status);
        Assert.Equal(1, walk.Levels);
        Assert.Equal(1UL << 39, walk.SpanBytes);
    }

    [Fact]
    public void Walk_next_to_a_mapping_reads_down_to_the_missing_entry()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));

        var sibling = table.Walk(Iova(K4));
        Assert.Equal((IoWalkStatus.NotPresent, 4, K4), (sibling.Status, sibling.Levels, sibling.SpanBytes));
        var cousin = table.Walk(Iova(M2));
        Assert.Equal((IoWalkStatus.NotPresent, 3, M2), (cousin.Status, cousin.Levels, cousin.SpanBytes));
    }

    [Fact]
    public void Walk_beyond_the_input_width_is_out_of_range()
    {
        var table = new IoPageTable(addressBits: 39);
        Assert.Equal(IoWalkStatus.OutOfRange, table.Walk(Iova(1UL << 39)).Status);
        Assert.Equal(0, table.Walk(Iova(1UL << 39)).Levels);
    }

    [Fact]
    public void A_write_to_a_read_only_page_is_a_permission_fault_that_sets_no_dirty_bit()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.SetDirtyTracking(true));
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x5000), K4, IoProt.Read));

        var walk = table.Walk(Iova(0x10), IoProt.Write);
        Assert.Equal(IoWalkStatus.PermissionFault, walk.Status);
        Assert.Equal(IoProt.Read, walk.Prot);
        Assert.Equal(new PhysAddr(0x5010), walk.Phys);
        Assert.False(walk.Dirty);
        Assert.False(table.Walk(Iova(0)).Dirty);
    }

    [Fact]
    public void A_read_of_a_write_only_page_is_a_permission_fault()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x5000), K4, IoProt.Write));
        Assert.Equal(IoWalkStatus.PermissionFault, table.Walk(Iova(0), IoProt.Read).Status);
        Assert.Equal(IoWalkStatus.Ok, table.Walk(Iova(0), IoProt.Write).Status);
    }

    [Fact]
    public void IovaToPhys_returns_zero_for_a_hole_and_TryIovaToPhys_tells_it_from_physical_zero()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(K4), Phys(0), K4, IoProt.Read));

        Assert.Equal(default, table.IovaToPhys(Iova(0)));
        Assert.False(table.TryIovaToPhys(Iova(0), out _));
        Assert.True(table.TryIovaToPhys(Iova(K4 + 8), out var phys));
        Assert.Equal(new PhysAddr(8), phys);
    }

    [Fact]
    public void EnumerateLeaves_lists_only_leaves_touching_the_range_in_order()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(M2), M2, IoProt.ReadWrite));
        Assert.Equal(Errno.None, table.Map(Iova(1UL << 40), Phys(G1), G1, IoProt.Write));

        var leaves = table.EnumerateLeaves(Iova(K4), (1UL << 40) + 1 - K4).ToList();
        Assert.Equal(2, leaves.Count);
        Assert.Equal(new IoLeaf(Iova(M2), Phys(M2), PageSize.Size2M, IoProt.ReadWrite, false), leaves[0]);
        Assert.Equal(new IoLeaf(Iova(1UL << 40), Phys(G1), PageSize.Size1G, IoProt.Write, false), leaves[1]);
        Assert.Empty(table.EnumerateLeaves(Iova(K4), 0));
    }
}
