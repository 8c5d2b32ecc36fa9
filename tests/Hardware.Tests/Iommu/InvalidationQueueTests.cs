using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class InvalidationQueueTests
{
    private static readonly Pasid NoPasid = Pasid.Invalid;

    private static void Fill4K(TranslationCache tlb, uint domain, ulong iova) =>
        tlb.Fill(domain, NoPasid, Iova(iova), PageSize.Size4K, Phys(iova + G1), IoProt.ReadWrite, false);

    [Fact]
    public void A_stale_translation_hits_until_the_invalidation_is_synced()
    {
        // Map, walk, cache; then unmap the page: the IOTLB still translates it.
        var table = new IoPageTable();
        var tlb = new Iotlb();
        var queue = new InvalidationQueue(16, tlb);
        Assert.Equal(Errno.None, table.Map(Iova(0x7000), Phys(0x9000), K4, IoProt.ReadWrite));
        var walk = table.Walk(Iova(0x7000), IoProt.Read);
        tlb.Fill(1, NoPasid, Iova(0x7000), in walk);
        Assert.Equal(K4, table.Unmap(Iova(0x7000), K4));
        Assert.Equal(IoWalkStatus.NotPresent, table.Walk(Iova(0x7000)).Status);

        var gather = new IotlbGather();
        gather.AddPage(new QueuedIotlbSync(queue, 1), Iova(0x7000), K4);
        queue.Submit(InvalidationCommand.FromGather(gather, 1, null));

        Assert.Equal(1, queue.Pending);
        Assert.True(tlb.Lookup(1, NoPasid, Iova(0x7123), out var stale));
        Assert.Equal(Phys(0x9123), stale.Phys);

        queue.Sync();

        Assert.False(tlb.Lookup(1, NoPasid, Iova(0x7123), out _));
        Assert.Equal((0, 1L, 1L, 1L), (queue.Pending, queue.Syncs, queue.Commands, queue.InvalidatedEntries));
    }

    [Fact]
    public void Gather_sync_through_QueuedIotlbSync_issues_one_range_command_and_a_sync()
    {
        var tlb = new Iotlb();
        var queue = new InvalidationQueue(16, tlb);
        var domain = new QueuedIotlbSync(queue, 4);
        for (ulong i = 0; i < 6; i++)
            Fill4K(tlb, 4, i * K4);
        Fill4K(tlb, 4, 100 * K4);

        var gather = new IotlbGather();
        for (ulong i = 0; i < 4; i++)
            Assert.False(gather.AddPage(domain, Iova(i * K4), K4));
        Assert.Equal(0, queue.Commands);
        Assert.True(gather.AddPage(domain, Iova(100 * K4), K4)); // disjoint: forces the first flush
        Assert.Equal((1L, 1L, 4L), (queue.Commands, queue.Syncs, queue.BatchedPages));
        gather.Sync(domain);

        Assert.Equal((2L, 2L, 5L), (queue.Commands, queue.Syncs, queue.BatchedPages));
        Assert.Equal(2, tlb.ValidEntries); // pages 4 and 5 were never unmapped
        gather.Sync(domain);
        Assert.Equal(2L, queue.Commands); // an empty gather issues nothing
    }

    [Fact]
    public void A_full_queue_forces_a_sync_before_taking_the_next_command()
    {
        var tlb = new Iotlb();
        var queue = new InvalidationQueue(2, tlb);
        for (ulong i = 0; i < 3; i++)
            Fill4K(tlb, 1, i * K4);

        Assert.False(queue.Submit(InvalidationCommand.Range(1, null, Iova(0), K4)));
        Assert.False(queue.Submit(InvalidationCommand.Range(1, null, Iova(K4), K4)));
        Assert.Equal(3, tlb.ValidEntries);
        Assert.True(queue.Submit(InvalidationCommand.Range(1, null, Iova(2 * K4), K4)));

        Assert.Equal((1L, 1L, 1, 1), (queue.ForcedSyncs, queue.Syncs, queue.Pending, tlb.ValidEntries));
        Assert.True(tlb.Probe(1, NoPasid, Iova(2 * K4), out _));
        Assert.Equal([InvalidationCommand.Range(1, null, Iova(2 * K4), K4)], queue.PendingCommands().ToArray());
    }

    [Fact]
    public void Each_command_kind_takes_effect_at_sync()
    {
        // Eight ways, so the five entries for IOVA 0 share a set without evicting each other.
        var tlb = new Iotlb(entries: 64, ways: 8);
        var queue = new InvalidationQueue(8, tlb);
        tlb.Fill(1, new Pasid(3), Iova(0), PageSize.Size4K, Phys(0), IoProt.Read, false);
        tlb.Fill(2, new Pasid(3), Iova(0), PageSize.Size4K, Phys(0), IoProt.Read, false);
        tlb.Fill(2, NoPasid, Iova(0), PageSize.Size4K, Phys(0), IoProt.Read, false);
        tlb.Fill(3, NoPasid, Iova(0), PageSize.Size4K, Phys(0), IoProt.Read, false);
        tlb.Fill(4, NoPasid, Iova(0), PageSize.Size4K, Phys(0), IoProt.Read, false);

        queue.Submit(InvalidationCommand.ForPasid(new Pasid(3), domainId: 1));
        queue.Submit(InvalidationCommand.Sync);
        Assert.False(tlb.Probe(1, new Pasid(3), Iova(0), out _));
        Assert.True(tlb.Probe(2, new Pasid(3), Iova(0), out _));

        queue.Submit(InvalidationCommand.ForPasid(new Pasid(3)));
        queue.Submit(InvalidationCommand.ForDomain(2));
        queue.Sync();
        Assert.Equal(2, tlb.ValidEntries);

        queue.Submit(InvalidationCommand.Global);
        Assert.Equal(2, tlb.ValidEntries);
        queue.Sync();
        Assert.Equal(0, tlb.ValidEntries);
        Assert.Equal((4L, 3L, 5L), (queue.Commands, queue.Syncs, queue.InvalidatedEntries));
    }

    [Fact]
    public void Commands_reach_every_attached_cache()
    {
        var iotlb = new Iotlb();
        var atc = new MicroTlb();
        var queue = new InvalidationQueue(4, iotlb);
        queue.Attach(atc);
        queue.Attach(atc);
        Assert.Equal(2, queue.Caches.Count);
        Fill4K(iotlb, 1, 0);
        Fill4K(atc, 1, 0);

        queue.Submit(InvalidationCommand.Range(1, null, Iova(0), K4));
        queue.Sync();
        Assert.Equal((0, 0, 2L), (iotlb.ValidEntries, atc.ValidEntries, queue.InvalidatedEntries));

        Assert.True(queue.Detach(atc));
        Fill4K(atc, 1, 0);
        queue.Submit(InvalidationCommand.Global);
        queue.Sync();
        Assert.Equal(1, atc.ValidEntries);
    }

    [Fact]
    public void Batched_pages_count_range_commands_at_their_granule()
    {
        var queue = new InvalidationQueue(8);
        queue.Submit(InvalidationCommand.Range(1, null, Iova(0), 16 * K4));
        queue.Submit(InvalidationCommand.Range(1, null, Iova(0), 2 * M2, granule: M2));
        queue.Submit(InvalidationCommand.ForDomain(1));
        Assert.Equal(18, queue.BatchedPages);
    }

    [Fact]
    public void A_gather_filled_by_the_dirty_read_is_flushed_at_4K_granularity()
    {
        var gather = new IotlbGather();
        gather.AddRange(Iova(M2), M2);
        var command = InvalidationCommand.FromGather(gather, 9, new Pasid(1));
        Assert.Equal(InvalidationCommand.Range(9, new Pasid(1), Iova(M2), M2, leafOnly: true, granule: K4), command);
        Assert.Equal(512UL, command.Pages);
        Assert.Throws<ArgumentException>(() => InvalidationCommand.FromGather(new IotlbGather(), 9, null));
        Assert.Throws<ArgumentException>(() => InvalidationCommand.Range(1, null, Iova(0), K4, granule: 3 * K4));
    }

    [Fact]
    public void Dirty_read_then_one_sync_drops_cached_dirty_state()
    {
        var table = new IoPageTable();
        Assert.Equal(Errno.None, table.SetDirtyTracking(true));
        Assert.Equal(Errno.None, table.Map(Iova(0), Phys(G1), 4 * K4, IoProt.ReadWrite));
        var tlb = new Iotlb();
        var queue = new InvalidationQueue(8, tlb);
        for (ulong i = 0; i < 4; i++)
        {
            var walk = table.Walk(Iova(i * K4), IoProt.Write);
            tlb.Fill(1, NoPasid, Iova(i * K4), in walk);
        }

        var gather = new IotlbGather();
        Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(0), 4 * K4, new IovaBitmap(Iova(0), 4 * K4, PageSize.Size4K), false, gather));
        Assert.True(tlb.Probe(1, NoPasid, Iova(0), out var cached));
        Assert.True(cached.Dirty); // the IOTLB still believes the leaf is dirty: a write would not re-walk
        gather.Sync(new QueuedIotlbSync(queue, 1));

        Assert.Equal(0, tlb.ValidEntries);
        Assert.Equal(1L, queue.Syncs);
    }
}
