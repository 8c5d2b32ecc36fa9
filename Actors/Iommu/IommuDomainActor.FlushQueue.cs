using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommu;

// The DMA API of drivers/iommu/dma-iommu.c on DMA and DMA-FQ domains: IOVA allocation, strict
// unmaps (flush and sync before the answer), and the flush queue of lazy unmaps (queue_iova,
// fq_flush_iotlb, fq_flush_timeout): the IOVA of a lazy unmap is freed only after a later
// domain-wide flush has completed, so it cannot be handed out while a stale IOTLB entry for
// it may exist. The pages themselves are the caller's: that window is deferred flushing's
// known exposure, which is why the HMM domain uses iommu_unmap, always strict.
public sealed partial class IommuDomainActor
{
    private readonly record struct FlushQueueEntry(ulong Iova, ulong Size);

    /// <summary>The timer message of IOVA_FQ_TIMEOUT.</summary>
    private sealed class FlushQueueTimeout
    {
        public static readonly FlushQueueTimeout Instance = new();
    }

    private const string FlushQueueTimer = "fq_timer";

    private readonly List<FlushQueueEntry> _flushQueue = [];
    private long _fqQueued;
    private long _fqFlushes;

    private bool IsDmaApiDomain => _options.Type is IommuDomainType.Dma or IommuDomainType.DmaFlushQueue;

    /// <summary>
    /// iommu_dma_map_page for whole pages: the model maps page-aligned physical ranges (the kernel
    /// also accepts an offset into the first page); ENOMEM when the IOVA space is exhausted.
    /// </summary>
    private void OnDmaMap(DmaMap map)
    {
        var error = IsDmaApiDomain ? PagingError() : Errno.EINVAL;
        if (error == Errno.None && (map.Size == 0 || !PageSize.Size4K.IsAligned(map.Phys.Value | map.Size))) error = Errno.EINVAL;
        var iova = 0UL;
        if (error == Errno.None && !_iova!.TryAllocate(map.Size, out iova)) error = Errno.ENOMEM;
        if (error == Errno.None)
        {
            error = _table!.Map(new Iova(iova), map.Phys, map.Size, ToIoProt(map.Prot));
            if (error != Errno.None) _iova!.Free(iova);
        }
        if (error != Errno.None)
        {
            Sender.Tell(new DmaMapped(error, default), Self);
            return;
        }
        _maps++;
        if (Tracing(typeof(IovaMapped))) Trace(new IovaMapped(Self, AddressRange.FromLength(iova, map.Size), map.Phys));
        Sender.Tell(new DmaMapped(Errno.None, new Iova(iova)), Self);
    }

    /// <summary>
    /// __iommu_dma_unmap: iommu_unmap_fast, then either iommu_iotlb_sync and the IOVA freed
    /// (strict), or queue_iova (lazy, DMA-FQ) with the answer at once. EINVAL for a range the DMA
    /// API did not hand out.
    /// </summary>
    private void OnDmaUnmap(DmaUnmap unmap)
    {
        var error = IsDmaApiDomain ? PagingError() : Errno.EINVAL;
        if (error == Errno.None && !_iova!.IsAllocated(unmap.Iova.Value, unmap.Size)) error = Errno.EINVAL;
        if (error != Errno.None)
        {
            Sender.Tell(new IommuUnmapped(error, 0), Self);
            return;
        }
        _unmaps++;
        var gather = new IotlbGather();
        var batch = new CommandBatch();
        var unmapped = UnmapGathered(unmap.Iova, unmap.Size, gather, batch);
        gather.Sync(batch);
        var range = AddressRange.FromLength(unmap.Iova.Value, unmap.Size);
        if (_options.Type == IommuDomainType.DmaFlushQueue)
        {
            _flushQueue.Add(new FlushQueueEntry(unmap.Iova.Value, unmap.Size));
            _fqQueued++;
            if (Tracing(typeof(IovaUnmapped))) Trace(new IovaUnmapped(Self, range, Synced: false));
            Sender.Tell(new IommuUnmapped(Errno.None, unmapped), Self);
            if (_flushQueue.Count >= _options.FlushQueueSize) FlushQueueFlush(null);
            else if (_flushQueue.Count == 1) Timers.StartSingleTimer(FlushQueueTimer, FlushQueueTimeout.Instance, _options.FlushQueueTimeout);
            return;
        }
        var replyTo = Sender;
        FlushUnmapped(batch.Commands, () =>
        {
            _iova!.Free(unmap.Iova.Value);
            if (Tracing(typeof(IovaUnmapped))) Trace(new IovaUnmapped(Self, range, !_options.SkipIotlbSyncAfterUnmap));
            replyTo.Tell(new IommuUnmapped(Errno.None, unmapped), Self);
        });
    }

    /// <summary>iommu_flush_iotlb_all; on a DMA-FQ domain it also completes the flush queue.</summary>
    private void OnFlushIotlbAll(IommuFlushIotlbAll flush)
    {
        var replyTo = Sender;
        if (!IsPaging)
        {
            replyTo.Tell(Done.Ok, Self);
            return;
        }
        FlushQueueFlush(() => replyTo.Tell(Done.Ok, Self), force: true);
    }

    /// <summary>
    /// fq_flush_iotlb then fq_ring_free: one domain-wide invalidation and sync for everything
    /// queued, and the queued IOVAs freed once it completed. Nothing to do for an empty queue
    /// unless <paramref name="force"/> (an explicit flush-all).
    /// </summary>
    private void FlushQueueFlush(Action? then, bool force = false)
    {
        Timers.Cancel(FlushQueueTimer);
        if (_flushQueue.Count == 0 && !force)
        {
            then?.Invoke();
            return;
        }
        var entries = _flushQueue.ToArray();
        _flushQueue.Clear();
        if (entries.Length > 0) _fqFlushes++;
        Invalidate([IotlbInvalidation.ForDomain], sync: true, () =>
        {
            foreach (var entry in entries) _iova!.Free(entry.Iova);
            then?.Invoke();
        });
    }
}
