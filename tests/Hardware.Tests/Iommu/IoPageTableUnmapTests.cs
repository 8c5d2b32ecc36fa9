using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IoPageTableUnmapTests
{
    [Theory]
    [InlineData(0x1000UL)]
    [InlineData(0x20_0000UL)]
    [InlineData(0x4000_0000UL)]
    public void Unmap_of_a_whole_leaf_returns_its_size_and_frees_its_directories(ulong size)
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(G1), Phys(2 * G1), size, IoProt.ReadWrite));

        Assert.Equal(size, table.Unmap(Iova(G1), size));
        Assert.Equal(0UL, table.MappedBytes);
        Assert.Equal(0, table.LeafCount);
        Assert.Equal(1, table.TablePages);
        Assert.Equal(table.DirectoriesAllocated, table.DirectoriesFreed);
        Assert.Equal(IoWalkStatus.NotPresent, table.Walk(Iova(G1)).Status);
    }

    [Fact]
    public void Unmapping_4K_of_a_2M_leaf_unmaps_the_whole_leaf_and_returns_2M()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0x8000_0000), M2, IoProt.ReadWrite));

        Assert.Equal(M2, table.Unmap(Iova(M2), K4));
        Assert.Equal(IoWalkStatus.NotPresent, table.Walk(Iova(M2 + 0x10_0000)).Status);
        Assert.Equal(0UL, table.MappedBytes);
    }

    [Fact]
    public void Unmapping_from_the_middle_of_a_huge_leaf_removes_all_of_it()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(G1), Phys(G1), G1, IoProt.Read));
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0), M2, IoProt.Read));

        Assert.Equal(G1, table.Unmap(Iova(G1 + 300 * M2 + 5 * K4), K4));
        Assert.Equal(M2, table.Unmap(Iova(M2 + K4), K4));
        Assert.Equal(0, table.LeafCount);
    }

    [Fact]
    public void Unmap_stops_at_the_first_hole()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x10_0000), 2 * K4, IoProt.Read));
        Assert.Equal(Errno.None, table.Map(Iova(3 * K4), Phys(0x20_0000), K4, IoProt.Read));

        Assert.Equal(2 * K4, table.Unmap(Iova(0), 4 * K4));
        Assert.True(table.Walk(Iova(3 * K4)).IsOk);
        Assert.Equal(K4, table.MappedBytes);
    }

    [Fact]
    public void Unmap_at_a_hole_returns_zero()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(K4), Phys(0), K4, IoProt.Read));

        Assert.Equal(0UL, table.Unmap(Iova(0), 2 * K4));
        Assert.Equal(1, table.LeafCount);
    }

    [Fact]
    public void Unmap_counts_only_what_is_mapped_when_the_range_is_larger()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 3 * K4, IoProt.Read));

        Assert.Equal(3 * K4, table.Unmap(Iova(0), 0x10_0000));
    }

    [Fact]
    public void Unmap_across_mixed_leaf_sizes_returns_their_sum()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2 - K4), Phys(M2 - K4), K4 + M2, IoProt.Read));

        Assert.Equal(K4 + M2, table.Unmap(Iova(M2 - K4), K4 + M2));
    }

    [Fact]
    public void Unmap_ending_inside_a_huge_leaf_returns_more_than_asked()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2 - K4), Phys(M2 - K4), K4 + M2, IoProt.Read));

        Assert.Equal(K4 + M2, table.Unmap(Iova(M2 - K4), 2 * K4));
        Assert.Equal(0, table.LeafCount);
    }

    [Theory]
    [InlineData(0x800UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x800UL)]
    public void Unmap_misaligned_returns_zero_and_changes_nothing(ulong iova, ulong size)
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), 4 * K4, IoProt.Read));
        var before = IoPageTableMapTests.Snapshot(table);

        Assert.Equal(0UL, table.Unmap(Iova(iova), size));
        Assert.Equal(before, IoPageTableMapTests.Snapshot(table));
    }

    [Fact]
    public void Unmap_of_zero_bytes_returns_zero()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(0UL, table.Unmap(Iova(0), 0));
        Assert.Equal(1, table.LeafCount);
    }

    [Fact]
    public void Unmap_beyond_the_input_width_returns_zero()
    {
        var table = new IoPageTable(addressBits: 39);
        Assert.Equal(0UL, table.Unmap(Iova(1UL << 39), K4));
    }

    [Fact]
    public void A_directory_is_freed_only_when_its_last_entry_goes()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(Errno.None, table.Map(Iova(8 * K4), Phys(0), K4, IoProt.Read));
        Assert.Equal(4, table.TablePages);

        Assert.Equal(K4, table.Unmap(Iova(0), K4));
        Assert.Equal(4, table.TablePages);
        Assert.Equal(0, table.DirectoriesFreed);

        Assert.Equal(K4, table.Unmap(Iova(8 * K4), K4));
        Assert.Equal(1, table.TablePages);
        Assert.Equal(3, table.DirectoriesFreed);
    }

    [Fact]
    public void Freeing_stops_at_a_directory_that_still_holds_another_subtree()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));     // L1, L2, L3(0)
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(0), K4, IoProt.Read));    // L3(1) under the same L2
        Assert.Equal(5, table.TablePages);

        Assert.Equal(K4, table.Unmap(Iova(0), K4));
        Assert.Equal(4, table.TablePages);
        Assert.Equal(1, table.DirectoriesFreed);
    }

    [Fact]
    public void Kept_empty_directories_are_counted_and_replaced_by_a_block_mapping()
    {
        var table = new IoPageTable(freeEmptyDirectories: false);
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(K4, table.Unmap(Iova(0), K4));
        Assert.Equal(4, table.TablePages);
        Assert.Equal(1, table.EmptyDirectories);
        Assert.Equal(0, table.DirectoriesFreed);

        // arm_lpae_init_pte: a block goes over an empty table after the table is freed.
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0x4000_0000), M2, IoProt.Read));
        Assert.Equal(3, table.TablePages);
        Assert.Equal(1, table.DirectoriesFreed);
        Assert.Equal(0, table.EmptyDirectories);
        Assert.Equal(new PhysAddr(0x4000_1234), table.IovaToPhys(Iova(0x1234)));
    }

    [Fact]
    public void Kept_empty_directories_are_reused_by_later_small_mappings()
    {
        var table = new IoPageTable(freeEmptyDirectories: false);
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
        Assert.Equal(K4, table.Unmap(Iova(0), K4));
        Assert.Equal(Errno.None, table.Map(Iova(K4), Phys(0), K4, IoProt.Read));

        Assert.Equal(4, table.TablePages);
        Assert.Equal(3, table.DirectoriesAllocated);
        Assert.Equal(0, table.EmptyDirectories);
    }

    [Fact]
    public void UnmapAll_removes_every_leaf_and_frees_every_directory()
    {
        var table = new IoPageTable(freeEmptyDirectories: false);
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), G1 + M2 + K4, IoProt.Read));
        Assert.Equal(Errno.None, table.Map(Iova(1UL << 40), Phys(0), K4, IoProt.Read));
        Assert.Equal(K4, table.Unmap(Iova(1UL << 40), K4));

        Assert.Equal(G1 + M2 + K4, table.UnmapAll());
        Assert.Equal(1, table.TablePages);
        Assert.Equal(0, table.LeafCount);
        Assert.Equal(0, table.EmptyDirectories);
        Assert.Equal(table.DirectoriesAllocated, table.DirectoriesFreed);
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(0), K4, IoProt.Read));
    }
}
