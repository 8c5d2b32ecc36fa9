using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IotlbGatherTests
{
    /// <summary>Records each iotlb_sync call with the gather's state at that moment.</summary>
    private sealed class RecordingSync : IIotlbSync
    {
        public List<(ulong Start, ulong End, ulong PageSize)> Flushes { get; } = [];

        public void IotlbSync(IotlbGather gather) => Flushes.Add((gather.Start, gather.End, gather.PageSizeBytes));
    }

    [Fact]
    public void A_new_gather_is_empty_as_iommu_iotlb_gather_init_leaves_it()
    {
        var gather = new IotlbGather();
        Assert.Equal((ulong.MaxValue, 0UL, 0UL), (gather.Start, gather.End, gather.PageSizeBytes));
        Assert.True(gather.IsEmpty);
        Assert.Equal(default, gather.Range);
    }

    [Fact]
    public void Adjacent_pages_of_one_size_merge_without_a_sync()
    {
        var sync = new RecordingSync();
        var gather = new IotlbGather();
        Assert.False(gather.AddPage(sync, Iova(0x2000), K4));
        Assert.False(gather.AddPage(sync, Iova(0x3000), K4));
        Assert.False(gather.AddPage(sync, Iova(0x1000), K4));
        Assert.False(gather.AddPage(sync, Iova(0x2000), K4));

        Assert.Empty(sync.Flushes);
        Assert.Equal((0x1000UL, 0x3FFFUL, K4), (gather.Start, gather.End, gather.PageSizeBytes));
        Assert.Equal(new AddressRange(0x1000, 0x4000), gather.Range);
        Assert.Equal(4, gather.Additions);
    }

    [Fact]
    public void A_disjoint_page_syncs_what_was_gathered_first()
    {
        var sync = new RecordingSync();
        var gather = new IotlbGather();
        gather.AddPage(sync, Iova(0x1000), K4);

        Assert.True(gather.AddPage(sync, Iova(0x5000), K4));
        Assert.Equal([(0x1000UL, 0x1FFFUL, K4)], sync.Flushes);
        Assert.Equal((0x5000UL, 0x5FFFUL), (gather.Start, gather.End));
        Assert.Equal(1, gather.Additions);
    }

    [Fact]
    public void A_different_page_size_syncs_even_when_adjacent()
    {
        var sync = new RecordingSync();
        var gather = new IotlbGather();
        gather.AddPage(sync, Iova(M2 - K4), K4);

        Assert.True(gather.AddPage(sync, Iova(M2), M2));
        Assert.Equal([(M2 - K4, M2 - 1, K4)], sync.Flushes);
        Assert.Equal((M2, 2 * M2 - 1, M2), (gather.Start, gather.End, gather.PageSizeBytes));
    }

    [Theory]
    [InlineData(0x3000UL, false)] // overlaps
    [InlineData(0x5000UL, false)] // starts right after End
    [InlineData(0x2000UL, false)] // ends right before Start
    [InlineData(0x6000UL, true)]  // one page gap after
    [InlineData(0x1000UL, true)]  // one page gap before
    public void IsDisjoint_is_the_kernels_touching_or_overlapping_test(ulong iova, bool disjoint)
    {
        var gather = new IotlbGather();
        gather.AddRange(Iova(0x3000), 2 * K4); // [0x3000, 0x4FFF]
        Assert.Equal(disjoint, gather.IsDisjoint(Iova(iova), K4));
    }

    [Fact]
    public void An_empty_gather_is_never_disjoint_and_neither_is_one_ending_at_iova_zero()
    {
        var gather = new IotlbGather();
        Assert.False(gather.IsDisjoint(Iova(G1), K4));
        gather.AddRange(Iova(0), 1); // end == 0: the kernel's "gather->end != 0" reads it as empty
        Assert.False(gather.IsDisjoint(Iova(G1), K4));
    }

    [Fact]
    public void AddRange_widens_over_gaps_and_keeps_the_page_size()
    {
        var gather = new IotlbGather();
        gather.AddRange(Iova(M2), M2);
        gather.AddRange(Iova(8 * M2), K4);
        Assert.Equal((M2, 8 * M2 + K4 - 1, 0UL), (gather.Start, gather.End, gather.PageSizeBytes));
    }

    [Fact]
    public void Sync_hands_the_gather_over_then_reinitialises_it()
    {
        var sync = new RecordingSync();
        var gather = new IotlbGather();
        gather.AddPage(sync, Iova(0), M2);
        gather.Sync(sync);

        Assert.Equal([(0UL, M2 - 1, M2)], sync.Flushes);
        Assert.True(gather.IsEmpty);
        Assert.Equal(0UL, gather.PageSizeBytes);
        Assert.False(gather.AddPage(sync, Iova(5 * G1), K4));
    }
}
