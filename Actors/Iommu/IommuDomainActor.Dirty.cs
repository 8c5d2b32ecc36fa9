using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommu;

// What iommufd needs of a domain besides map/unmap: its geometry (iopt_table_add_domain reads
// pgsize_bitmap and the aperture) and struct iommu_dirty_ops (set_dirty_tracking,
// read_and_clear_dirty) with seed 004's chunked read and single IOTLB sync.
public sealed partial class IommuDomainActor
{
    /// <summary>
    /// Bits of bitmap one driver call covers: one page of struct page pointers to pinned bitmap
    /// pages (PAGE_SIZE / sizeof(struct page *) = 512 pages of 4 KiB, 8 bits a byte), so
    /// 2^24 bits: 64 GiB of IOVA at 4 KiB pages (seed 004's iommufd_dirty_iter).
    /// </summary>
    public const int DirtyChunkBits = 1 << 24;

    private long _dirtyReadSequence;
    private long _dirtyReads;
    private long _dirtyChunks;
    private long _dirtyLeaves;
    private long _dirtySyncs;
    private long _trackingChanges;

    private void ReceiveDirtyTracking()
    {
        Receive<GetIommuDomainInfo>(_ => Sender.Tell(new IommuDomainInfo(Errno.None, _options.Type,
            _table is null ? null : _geometry, DirtyOpsError() == Errno.None, _table?.DirtyTracking ?? false), Self));
        Receive<IommuSetDirtyTracking>(OnSetDirtyTracking);
        Receive<IommuReadAndClearDirty>(OnReadAndClearDirty);
        Receive<GetIommuDirtyStats>(_ => Sender.Tell(new IommuDirtyStats(Errno.None, _table?.DirtyTracking ?? false,
            _dirtyReads, _dirtyChunks, _dirtyLeaves, _dirtySyncs, _trackingChanges), Self));
    }

    /// <summary>
    /// EOPNOTSUPP unless the domain has dirty_ops: a paging domain with a table, allocated with
    /// dirty tracking (the drivers set domain->dirty_ops only for IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
    /// on a unit whose hardware has it.
    /// </summary>
    private Errno DirtyOpsError() =>
        _table is { DirtyTrackingSupported: true } && _options.DirtyTracking ? Errno.None : Errno.EOPNOTSUPP;

    /// <summary>
    /// iopt_set_dirty_tracking's domain part: enabling clears every dirty bit first
    /// (iopt_clear_dirty_data: a read-and-clear without a bitmap over what is mapped), then
    /// set_dirty_tracking switches the hardware, and the domain's IOTLB entries are flushed with a
    /// sync before the answer (Intel's and AMD's set_dirty_tracking flush the domain): a cached
    /// entry from before the switch would otherwise let a write skip the dirty bit.
    /// </summary>
    private void OnSetDirtyTracking(IommuSetDirtyTracking request)
    {
        var error = DirtyOpsError();
        if (error != Errno.None)
        {
            Sender.Tell(new Done(error), Self);
            return;
        }
        var table = _table!;
        if (request.Enable) table.ReadAndClearDirty(default, 1UL << table.AddressBits, null);
        table.SetDirtyTracking(request.Enable);
        _trackingChanges++;
        _dirtySyncs++;
        if (Tracing(typeof(DirtyTrackingChanged))) Trace(new DirtyTrackingChanged(Self, request.Enable, Synced: false));
        var replyTo = Sender;
        Invalidate([IotlbInvalidation.ForDomain], sync: true, () =>
        {
            if (Tracing(typeof(DirtyTrackingChanged))) Trace(new DirtyTrackingChanged(Self, request.Enable, Synced: true));
            replyTo.Tell(Done.Ok, Self);
        });
    }

    /// <summary>
    /// Seed 004's iommu_read_and_clear_dirty: ops->read_and_clear_dirty once per chunk of
    /// <see cref="DirtyChunkBits"/> bitmap bits, every dirty leaf gathered (add_range), then one
    /// iommu_iotlb_sync for the whole range, answered when it completed. The seed syncs even with
    /// nothing cleared; today's kernel skips the sync for IOMMU_DIRTY_NO_CLEAR, which clears
    /// nothing, and so does the model. Today's kernel no longer chunks the walk either
    /// (iova_bitmap_for_each makes one driver call for the whole range and iova_bitmap_set maps
    /// the user's bitmap pages as it records); the model keeps the seed's chunks, whose count the
    /// reply reports. A dirty leaf that straddles a chunk end is read, cleared and recorded whole
    /// in the chunk that reaches it first (the bitmap is the caller's whole range, as the fixed
    /// iova_bitmap records beyond the mapped window).
    /// </summary>
    private void OnReadAndClearDirty(IommuReadAndClearDirty request)
    {
        var error = CheckDirtyRead(request, out var pageSize);
        if (error != Errno.None)
        {
            Sender.Tell(new IommuDirtyRead(error, 0, 0, false), Self);
            return;
        }
        var table = _table!;
        var bitmap = new IovaBitmap(request.Iova, request.Length, pageSize, request.Bitmap);
        var range = AddressRange.FromLength(request.Iova.Value, request.Length);
        var sequence = ++_dirtyReadSequence;
        // The leaves the read will find, listed before it clears them; only for an observer.
        var found = Tracing(typeof(DirtyBitsRead))
            ? table.EnumerateLeaves(request.Iova, request.Length).Where(l => l.Dirty).Select(l => AddressRange.FromLength(l.Iova.Value, l.Size.Bytes)).ToList()
            : null;

        var gather = new IotlbGather();
        var chunkBytes = pageSize.Shift + 24 >= 64 ? ulong.MaxValue : (ulong)DirtyChunkBits << pageSize.Shift;
        long chunks = 0, leaves = 0;
        for (ulong done = 0; done < request.Length; chunks++)
        {
            var length = Math.Min(chunkBytes, request.Length - done);
            leaves += ReadChunk(table, request.Iova + done, length, bitmap, request.NoClear, gather);
            done += length;
        }
        _dirtyReads++;
        _dirtyChunks += chunks;
        _dirtyLeaves += leaves;
        if (found is not null) Trace(new DirtyBitsRead(Self, sequence, request.Tag, range, !request.NoClear, found));

        if (request.NoClear)
        {
            Sender.Tell(new IommuDirtyRead(Errno.None, chunks, leaves, false), Self);
            return;
        }
        _dirtySyncs++;
        var batch = new CommandBatch();
        gather.Sync(batch);
        var replyTo = Sender;
        Invalidate(batch.Commands, sync: true, () =>
        {
            if (Tracing(typeof(DirtyReadSynced))) Trace(new DirtyReadSynced(Self, sequence));
            replyTo.Tell(new IommuDirtyRead(Errno.None, chunks, leaves, true), Self);
        });
    }

    /// <summary>
    /// The checks of iommufd_check_iova_range and of the drivers' read_and_clear_dirty, in their
    /// order: no dirty_ops (EOPNOTSUPP), a wrapping range (EOVERFLOW), a range not aligned to the
    /// domain's smallest page or to the bitmap's page size (EINVAL), tracking off (EINVAL). The
    /// model also refuses a zero length and a page size that is not a power of two of at least
    /// 4 KiB (EINVAL; the kernel takes __ffs of any non-zero size), and a bitmap shorter than the
    /// range needs (EFAULT, where the kernel would fault on the user buffer's end).
    /// </summary>
    private Errno CheckDirtyRead(IommuReadAndClearDirty request, out PageSize pageSize)
    {
        pageSize = default;
        var error = DirtyOpsError();
        if (error != Errno.None) return error;
        if (request.Length == 0) return Errno.EINVAL;
        if (!AddressFormat.IsValidRange(request.Iova.Value, request.Length)) return Errno.EOVERFLOW;
        if (!PageSize.TryFromBytes(request.PageSize, out pageSize)) return Errno.EINVAL;
        var end = request.Iova.Value + request.Length; // may be 2^64 = 0, which every size divides
        var align = (PageSizeBitmap.MinPageSize(_table!.PageSizes).Bytes - 1) | (pageSize.Bytes - 1);
        if (((request.Iova.Value | end) & align) != 0) return Errno.EINVAL;
        if (request.Bitmap is null || request.Bitmap.Length < IovaBitmap.WordsFor(request.Length, pageSize)) return Errno.EFAULT;
        return _table.DirtyTracking ? Errno.None : Errno.EINVAL;
    }

    /// <summary>One driver call over one chunk; returns the dirty leaves found.</summary>
    private long ReadChunk(IoPageTable table, Iova iova, ulong length, IovaBitmap bitmap, bool noClear, IotlbGather gather)
    {
        if (!_options.ClearDirtyWithoutReport)
        {
            table.ReadAndClearDirty(iova, length, bitmap, noClear, gather, out var dirty);
            return dirty;
        }
        // The injected bug: the bits are read and cleared right, but recorded by a store.
        var leaves = table.EnumerateLeaves(iova, length).Where(l => l.Dirty).ToList();
        table.ReadAndClearDirty(iova, length, null, noClear, gather);
        foreach (var leaf in leaves) StoreDirtyBits(bitmap, leaf.Iova.Value, leaf.Size.Bytes);
        return leaves.Count;
    }

    /// <summary>iova_bitmap_set with "=" where "|=" belongs: each touched word keeps only this leaf's bits.</summary>
    private static void StoreDirtyBits(IovaBitmap bitmap, ulong iova, ulong bytes)
    {
        var start = Math.Max(iova, bitmap.Iova.Value);
        var end = Math.Min(iova + bytes, bitmap.Iova.Value + bitmap.Length);
        if (start >= end) return;
        var first = (start - bitmap.Iova.Value) >> bitmap.PageSize.Shift;
        var last = (end - 1 - bitmap.Iova.Value) >> bitmap.PageSize.Shift;
        for (var bit = first; bit <= last; bit = (bit | 63) + 1)
        {
            var top = Math.Min(last, bit | 63);
            var mask = (ulong.MaxValue << (int)(bit & 63)) & (ulong.MaxValue >> (63 - (int)(top & 63)));
            bitmap.Words[bit >> 6] = mask;
        }
    }

    /// <summary>
    /// The hardware walk, with the dirty bit a write sets reported to an observer: a write that
    /// finds its leaf clean while tracking is on publishes <see cref="IoPteDirtied"/>.
    /// </summary>
    private IoWalk WalkTable(Iova iova, bool write)
    {
        var table = _table!;
        if (!write || !table.DirtyTracking || !Tracing(typeof(IoPteDirtied)))
            return table.Walk(iova, write ? IoProt.Write : IoProt.Read);
        var before = table.Walk(iova);
        var walk = table.Walk(iova, IoProt.Write);
        if (walk.IsOk && !before.Dirty && walk.Dirty)
        {
            var leaf = walk.PageSize.AlignDown(iova.Value);
            Trace(new IoPteDirtied(Self, AddressRange.FromLength(leaf, walk.PageSize.Bytes)));
        }
        return walk;
    }
}
