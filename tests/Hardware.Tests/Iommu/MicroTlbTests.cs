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

    private static void Fill4K(MicroTlb tlb, ulong page) =>
        tlb.Fill(1, Pasid.Invalid, Iova(page * K4), PageSize.Size4K, Phys(0x10_0000 + page * K4), IoProt.Read, false);

    private static bool Holds(MicroTlb tlb, ulong page) => tlb.Probe(1, Pasid.Invalid, Iova(page * K4), out _);

    [Fact]
    public void A_hit_makes_an_entry_the_most_recently_used_so_the_next_oldest_is_evicted()
    {
        var tlb = new MicroTlb(entries: 4);
        for (ulong page = 0; page < 4; page++) Fill4K(tlb, page);
        Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(0), out _));
        Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(K4), out _));

        Fill4K(tlb, 10); // LRU order now 2, 3, 0, 1: page 2 goes
        Fill4K(tlb, 11); // then page 3

        Assert.False(Holds(tlb, 2));
        Assert.False(Holds(tlb, 3));
        Assert.True(Holds(tlb, 0) && Holds(tlb, 1) && Holds(tlb, 10) && Holds(tlb, 11));
        Assert.Equal(2, tlb.Evictions);
    }

    [Fact]
    public void A_probe_does_not_refresh_an_entry()
    {
        var tlb = new MicroTlb(entries: 2);
        Fill4K(tlb, 0);
        Fill4K(tlb, 1);
        Assert.True(Holds(tlb, 0));

        Fill4K(tlb, 2);

        Assert.False(Holds(tlb, 0));
        Assert.True(Holds(tlb, 1));
    }

    [Fact]
    public void Refilling_a_tag_updates_it_in_place_and_makes_it_the_most_recently_used()
    {
        var tlb = new MicroTlb(entries: 2);
        Fill4K(tlb, 0);
        Fill4K(tlb, 1);
        tlb.Fill(1, Pasid.Invalid, Iova(0), PageSize.Size4K, Phys(0x77_7000), IoProt.ReadWrite, true);

        Fill4K(tlb, 2);

        Assert.Equal((4L, 1L, 2), (tlb.Fills, tlb.Evictions, tlb.ValidEntries));
        Assert.False(Holds(tlb, 1));
        Assert.True(tlb.Probe(1, Pasid.Invalid, Iova(0x123), out var hit));
        Assert.Equal((Phys(0x77_7123), IoProt.ReadWrite, true), (hit.Phys, hit.Prot, hit.Dirty));
    }

    [Fact]
    public void A_slot_freed_by_an_invalidation_is_filled_before_anything_is_evicted()
    {
        var tlb = new MicroTlb(entries: 100); // two words of valid bits
        for (ulong page = 0; page < 100; page++) Fill4K(tlb, page);
        Assert.Equal(2, tlb.InvalidateRange(1, null, Iova(70 * K4), 2 * K4, leafOnly: true));

        Fill4K(tlb, 200);
        Fill4K(tlb, 201);

        Assert.Equal((0L, 100), (tlb.Evictions, tlb.ValidEntries));
        Assert.True(Holds(tlb, 0)); // the least recently used entry survives
        // The new entries took the freed slots, lowest first.
        var entries = tlb.EnumerateEntries().ToList();
        Assert.Equal(Iova(200 * K4), entries[70].Iova);
        Assert.Equal(Iova(201 * K4), entries[71].Iova);

        Fill4K(tlb, 202);
        Assert.Equal(1L, tlb.Evictions);
        Assert.False(Holds(tlb, 0));
    }

    [Fact]
    public void A_stream_longer_than_the_cache_misses_every_page_and_keeps_the_last_ones()
    {
        var tlb = new MicroTlb();
        for (var pass = 0; pass < 2; pass++)
        {
            for (ulong page = 0; page < 1024; page++)
            {
                Assert.False(tlb.Lookup(1, Pasid.Invalid, Iova(page * K4), out _));
                Fill4K(tlb, page);
            }
        }

        Assert.Equal((0L, 2048L, 2048L - 32), (tlb.Hits, tlb.Misses, tlb.Evictions));
        Assert.Equal(Enumerable.Range(1024 - 32, 32).Select(p => Iova((ulong)p * K4)), tlb.EnumerateEntries().Select(e => e.Iova).Order());
    }

    [Fact]
    public void After_a_global_invalidation_slots_fill_again_from_the_first()
    {
        var tlb = new MicroTlb(entries: 4);
        for (ulong page = 0; page < 6; page++) Fill4K(tlb, page);
        Assert.Equal(4, tlb.InvalidateAll());

        Fill4K(tlb, 9);
        Fill4K(tlb, 8);

        Assert.Equal([Iova(9 * K4), Iova(8 * K4)], tlb.EnumerateEntries().Select(e => e.Iova));
        Assert.False(tlb.Lookup(1, Pasid.Invalid, Iova(5 * K4), out _));
        Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(8 * K4), out _));
    }

    [Fact]
    public void Where_entries_of_two_sizes_cover_an_address_the_lower_slot_answers()
    {
        // Only a missed invalidation leaves both; the answer must still be deterministic.
        var tlb = new MicroTlb(entries: 4);
        Fill4K(tlb, 1);
        tlb.Fill(1, Pasid.Invalid, Iova(0), PageSize.Size2M, Phys(0x4000_0000), IoProt.Read, false);
        Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(K4 + 8), out var first));
        Assert.Equal((PageSize.Size4K, Phys(0x10_1008)), (first.PageSize, first.Phys));

        tlb.InvalidateRange(1, null, Iova(K4), K4, leafOnly: true); // drops both
        tlb.Fill(1, Pasid.Invalid, Iova(0), PageSize.Size2M, Phys(0x4000_0000), IoProt.Read, false);
        Fill4K(tlb, 1);
        Assert.True(tlb.Lookup(1, Pasid.Invalid, Iova(K4 + 8), out var second));
        Assert.Equal((PageSize.Size2M, Phys(0x4000_1008)), (second.PageSize, second.Phys));
    }
}
