using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class MicroTlbTests
{
    [Fact]
    public void It_is_fully_associative_with_32_entries_by_default()
    {
        var tlb = new MicroTlb();
        Assert.Equal((32, 32, 1), (tlb.Entries, tlb.Ways, tlb.Sets));
    }

    [Fact]
    public void The_33rd_fill_evicts_the_least_recently_used_entry_whatever_its_address()
    {
        var tlb = new MicroTlb();
        for (ulong i = 0; i < 32; i++)
            tlb.Fill(1, Pasid.Invalid, Iova(i * 7919 * K4), PageSize.Size4K, Phys(i * K4), IoProt.Read, false);
        Assert.Equal(0, tlb.Evictions);
        for (ulong i = 1; i < 32; i++)
            Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(i * 7919 * K4), out _));

        tlb.Fill(1, Pasid.Invalid, Iova(G1), PageSize.Size4K, Phys(0), IoProt.Read, false);

        Assert.Equal(1, tlb.Evictions);
        Assert.False(tlb.Probe(1, Pasid.Invalid, Iova(0), out _));
        Assert.Equal(32, tlb.ValidEntries);
    }

    [Fact]
    public void Mixed_page_sizes_are_found_in_one_pass()
    {
        var tlb = new MicroTlb(entries: 4);
        tlb.Fill(1, new Pasid(1), Iova(0), PageSize.Size4K, Phys(0x1000), IoProt.Read, false);
        tlb.Fill(1, new Pasid(1), Iova(M2), PageSize.Size2M, Phys(0x40_0000), IoProt.Read, false);
        tlb.Fill(1, new Pasid(1), Iova(G1), PageSize.Size1G, Phys(2 * G1), IoProt.Read, false);

        Assert.True(tlb.Lookup(1, new Pasid(1), Iova(M2 + 0x1234), out var two));
        Assert.Equal(Phys(0x40_1234), two.Phys);
        Assert.True(tlb.Lookup(1, new Pasid(1), Iova(G1 + M2), out var one));
        Assert.Equal(Phys(2 * G1 + M2), one.Phys);
        Assert.False(tlb.Lookup(1, new Pasid(1), Iova(K4), out _));
    }

    [Fact]
    public void Invalidation_works_as_in_the_iotlb()
    {
        var tlb = new MicroTlb(entries: 8);
        for (ulong i = 0; i < 8; i++)
            tlb.Fill(1, Pasid.Invalid, Iova(i * K4), PageSize.Size4K, Phys(0), IoProt.Read, false);
        Assert.Equal(4, tlb.InvalidateRange(1, null, Iova(2 * K4), 4 * K4, true));
        Assert.Equal(4, tlb.InvalidateDomain(1));
    }
}
