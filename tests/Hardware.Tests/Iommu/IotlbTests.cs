using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IotlbTests
{
    private static readonly Pasid NoPasid = Pasid.Invalid;

    private static void Fill4K(TranslationCache tlb, uint domain, Pasid pasid, ulong iova, ulong phys) =>
        tlb.Fill(domain, pasid, Iova(iova), PageSize.Size4K, Phys(phys), IoProt.ReadWrite, dirty: false);

    [Fact]
    public void A_miss_then_a_fill_then_a_hit_with_the_translated_address()
    {
        var tlb = new Iotlb();
        Assert.False(tlb.Lookup(1, NoPasid, Iova(0x1234_5678), out _));
        Fill4K(tlb, 1, NoPasid, 0x1234_5000, 0xABC_D000);

        Assert.True(tlb.Lookup(1, NoPasid, Iova(0x1234_5678), out var hit));
        Assert.Equal(new IotlbHit(Phys(0xABC_D678), Phys(0xABC_D000), PageSize.Size4K, IoProt.ReadWrite, false), hit);
        Assert.Equal((1L, 1L, 1L, 0L, 1), (tlb.Hits, tlb.Misses, tlb.Fills, tlb.Evictions, tlb.ValidEntries));
    }

    [Fact]
    public void Huge_entries_hit_anywhere_in_their_page()
    {
        var tlb = new Iotlb();
        tlb.Fill(1, NoPasid, Iova(G1 + 5 * M2 + 0x777), PageSize.Size2M, Phys(0x8000_0000), IoProt.Read, true);
        tlb.Fill(1, NoPasid, Iova(3 * G1), PageSize.Size1G, Phys(4 * G1), IoProt.Write, false);

        Assert.True(tlb.Lookup(1, NoPasid, Iova(G1 + 5 * M2 + M2 - 1), out var two));
        Assert.Equal((Phys(0x8000_0000 + M2 - 1), PageSize.Size2M, true), (two.Phys, two.PageSize, two.Dirty));
        Assert.True(tlb.Lookup(1, NoPasid, Iova(3 * G1 + 0x1234_5678), out var one));
        Assert.Equal(Phys(4 * G1 + 0x1234_5678), one.Phys);
        Assert.False(tlb.Lookup(1, NoPasid, Iova(G1 + 6 * M2), out _));
    }

    [Fact]
    public void The_tag_includes_domain_and_pasid()
    {
        var tlb = new Iotlb();
        Fill4K(tlb, 1, new Pasid(5), 0x1000, 0x9000);

        Assert.False(tlb.Lookup(2, new Pasid(5), Iova(0x1000), out _));
        Assert.False(tlb.Lookup(1, new Pasid(6), Iova(0x1000), out _));
        Assert.False(tlb.Lookup(1, NoPasid, Iova(0x1000), out _));
        Assert.True(tlb.Lookup(1, new Pasid(5), Iova(0x1000), out _));
        Assert.Equal(3, tlb.Misses);
    }

    [Fact]
    public void A_full_set_evicts_its_least_recently_used_way()
    {
        var tlb = new Iotlb(entries: 8, ways: 4);
        Assert.Equal(2, tlb.Sets);
        // Even 4K page numbers index set 0.
        ulong Page(int i) => (ulong)i * 2 * K4;
        for (var i = 0; i < 4; i++)
            Fill4K(tlb, 1, NoPasid, Page(i), 0x10_0000 + Page(i));
        Fill4K(tlb, 1, NoPasid, K4, 0x20_0000); // set 1, untouched by what follows
        Assert.True(tlb.Lookup(1, NoPasid, Iova(Page(0)), out _)); // page 1 is now the oldest in set 0

        Fill4K(tlb, 1, NoPasid, Page(4), 0x30_0000);

        Assert.Equal(1, tlb.Evictions);
        Assert.False(tlb.Probe(1, NoPasid, Iova(Page(1)), out _));
        foreach (var i in new[] { 0, 2, 3, 4 })
            Assert.True(tlb.Probe(1, NoPasid, Iova(Page(i)), out _));
        Assert.True(tlb.Probe(1, NoPasid, Iova(K4), out _));
        Assert.Equal(tlb.SetIndexOf(Iova(Page(4)), PageSize.Size4K), tlb.SetIndexOf(Iova(Page(1)), PageSize.Size4K));
    }

    [Fact]
    public void Refilling_the_same_tag_updates_in_place()
    {
        var tlb = new Iotlb(entries: 4, ways: 4);
        Fill4K(tlb, 1, NoPasid, 0, 0x5000);
        tlb.Fill(1, NoPasid, Iova(0x10), PageSize.Size4K, Phys(0x5000), IoProt.ReadWrite, dirty: true);

        Assert.Equal((1, 0L, 2L), (tlb.ValidEntries, tlb.Evictions, tlb.Fills));
        Assert.True(tlb.Lookup(1, NoPasid, Iova(0), out var hit));
        Assert.True(hit.Dirty);
    }

    [Fact]
    public void Fill_from_a_walk_caches_the_leaf()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.Map(Iova(M2), Phys(G1), M2, IoProt.Read));
        var tlb = new Iotlb();
        var walk = table.Walk(Iova(M2 + 0x4321), IoProt.Read);
        tlb.Fill(7, NoPasid, Iova(M2 + 0x4321), in walk);

        Assert.True(tlb.Lookup(7, NoPasid, Iova(M2 + 0x1_0000), out var hit));
        Assert.Equal(Phys(G1 + 0x1_0000), hit.Phys);
        var miss = table.Walk(Iova(0));
        Assert.Throws<ArgumentException>(() => tlb.Fill(7, NoPasid, Iova(0), in miss));
    }

    [Fact]
    public void Range_invalidation_drops_only_overlapping_pages_of_the_domain()
    {
        var tlb = new Iotlb();
        for (ulong i = 0; i < 8; i++)
        {
            Fill4K(tlb, 1, NoPasid, i * K4, 0x10_0000 + i * K4);
            Fill4K(tlb, 2, NoPasid, i * K4, 0x20_0000 + i * K4);
        }

        Assert.Equal(3, tlb.InvalidateRange(1, null, Iova(2 * K4), 3 * K4, leafOnly: true));
        for (ulong i = 0; i < 8; i++)
        {
            Assert.Equal(i is < 2 or > 4, tlb.Probe(1, NoPasid, Iova(i * K4), out _));
            Assert.True(tlb.Probe(2, NoPasid, Iova(i * K4), out _));
        }
        Assert.Equal((3L, 1L, 1L, 13), (tlb.InvalidatedEntries, tlb.Invalidations, tlb.LeafOnlyInvalidations, tlb.ValidEntries));
    }

    [Fact]
    public void Invalidating_one_4K_page_drops_the_huge_entry_that_covers_it()
    {
        var tlb = new Iotlb();
        tlb.Fill(1, NoPasid, Iova(G1), PageSize.Size2M, Phys(0), IoProt.Read, false);
        tlb.Fill(1, NoPasid, Iova(2 * G1), PageSize.Size1G, Phys(0), IoProt.Read, false);

        Assert.Equal(1, tlb.InvalidateRange(1, null, Iova(G1 + 300 * K4), K4, leafOnly: false));
        Assert.Equal(1, tlb.InvalidateRange(1, null, Iova(2 * G1 + G1 - K4), K4, leafOnly: false));
        Assert.Equal(0, tlb.ValidEntries);
        Assert.Equal(0, tlb.LeafOnlyInvalidations);
    }

    [Fact]
    public void A_huge_range_invalidation_scans_everything_and_respects_the_domain()
    {
        var tlb = new Iotlb(entries: 64, ways: 4);
        for (ulong i = 0; i < 40; i++)
            Fill4K(tlb, (uint)(i % 2), NoPasid, i * 977 * K4, 0);

        var cached = tlb.EnumerateEntries().Count(e => e.DomainId == 0);
        Assert.True(cached > 0);

        Assert.Equal(cached, tlb.InvalidateRange(0, null, Iova(0), 1UL << 47, leafOnly: true));
        Assert.DoesNotContain(tlb.EnumerateEntries(), e => e.DomainId == 0);
        Assert.Contains(tlb.EnumerateEntries(), e => e.DomainId == 1);
    }

    [Fact]
    public void Range_invalidation_can_select_one_pasid()
    {
        var tlb = new Iotlb();
        Fill4K(tlb, 1, new Pasid(3), 0, 0);
        Fill4K(tlb, 1, new Pasid(4), 0, 0);
        Fill4K(tlb, 1, NoPasid, 0, 0);

        Assert.Equal(1, tlb.InvalidateRange(1, new Pasid(3), Iova(0), K4, true));
        Assert.Equal(1, tlb.InvalidateRange(1, NoPasid, Iova(0), K4, true));
        Assert.True(tlb.Probe(1, new Pasid(4), Iova(0), out _));
        Assert.Equal(1, tlb.InvalidateRange(1, null, Iova(0), K4, true));
    }

    [Fact]
    public void Pasid_invalidation_drops_that_pasid_in_one_or_every_domain()
    {
        var tlb = new Iotlb();
        Fill4K(tlb, 1, new Pasid(9), 0, 0);
        Fill4K(tlb, 2, new Pasid(9), 0, 0);
        Fill4K(tlb, 2, new Pasid(8), 0, 0);

        Assert.Equal(1, tlb.InvalidatePasid(new Pasid(9), domainId: 2));
        Assert.True(tlb.Probe(1, new Pasid(9), Iova(0), out _));
        Assert.Equal(1, tlb.InvalidatePasid(new Pasid(9)));
        Assert.Equal(1, tlb.ValidEntries);
    }

    [Fact]
    public void Domain_and_global_invalidation()
    {
        var tlb = new Iotlb();
        Fill4K(tlb, 1, new Pasid(1), 0, 0);
        Fill4K(tlb, 1, NoPasid, K4, 0);
        Fill4K(tlb, 2, NoPasid, 0, 0);

        Assert.Equal(2, tlb.InvalidateDomain(1));
        Assert.Equal(1, tlb.ValidEntries);
        Assert.Equal(1, tlb.InvalidateAll());
        Assert.Equal(0, tlb.ValidEntries);
        Assert.Equal((3L, 2L), (tlb.InvalidatedEntries, tlb.Invalidations));
        Assert.False(tlb.Lookup(2, NoPasid, Iova(0), out _));
    }

    [Fact]
    public void Probe_counts_nothing_and_keeps_lru_order()
    {
        var tlb = new Iotlb(entries: 2, ways: 2);
        Fill4K(tlb, 1, NoPasid, 0, 0);
        Fill4K(tlb, 1, NoPasid, K4, 0);
        Assert.True(tlb.Probe(1, NoPasid, Iova(0), out _));
        Fill4K(tlb, 1, NoPasid, 2 * K4, 0);

        Assert.False(tlb.Probe(1, NoPasid, Iova(0), out _));
        Assert.Equal((0L, 0L), (tlb.Hits, tlb.Misses));
    }

    [Fact]
    public void EnumerateEntries_reports_the_tags()
    {
        var tlb = new Iotlb();
        tlb.Fill(3, new Pasid(2), Iova(M2 + 5), PageSize.Size2M, Phys(G1), IoProt.Write, true);
        Assert.Equal([new IotlbEntryInfo(3, new Pasid(2), Iova(M2), PageSize.Size2M, Phys(G1), IoProt.Write, true)], tlb.EnumerateEntries().ToArray());
    }

    [Fact]
    public void Bad_geometry_and_fills_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Iotlb(entries: 12, ways: 4));
        Assert.Throws<ArgumentException>(() => new Iotlb(entries: 10, ways: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Iotlb(entries: 0));
        var tlb = new Iotlb(pageSizes: PageSizeBitmap.Size4K);
        Assert.Throws<ArgumentException>(() => tlb.Fill(1, NoPasid, Iova(0), PageSize.Size2M, Phys(0), IoProt.Read, false));
        Assert.Throws<ArgumentException>(() => tlb.Fill(1, NoPasid, Iova(0), PageSize.Size4K, Phys(0x10), IoProt.Read, false));
    }
}
