namespace IommuSim.Messages.Iommu;

// What iommufd asks of an IommuDomainActor beyond map/unmap: the domain's geometry and its dirty
// tracking operations (struct iommu_dirty_ops: set_dirty_tracking, read_and_clear_dirty).

/// <summary>The domain's type, geometry (domain->pgsize_bitmap, the aperture from its address width) and dirty capability. Reply: <see cref="IommuDomainInfo"/>.</summary>
public sealed record GetIommuDomainInfo;

/// <param name="Geometry">Null for a domain without a page table (BLOCKED, IDENTITY, a paging type with a non-radix format).</param>
/// <param name="DirtyTrackingSupported">The domain has dirty_ops: it was allocated with dirty tracking (IOMMU_HWPT_ALLOC_DIRTY_TRACKING) on hardware that has it.</param>
/// <param name="DirtyTracking">Device writes set IOPTE dirty bits now.</param>
public sealed record IommuDomainInfo(
    Errno Errno,
    IommuDomainType Type,
    IommuDomainGeometry? Geometry,
    bool DirtyTrackingSupported,
    bool DirtyTracking) : IReply;

/// <summary>
/// iommu_dirty_ops.set_dirty_tracking. Enabling first clears every dirty bit (iopt_clear_dirty_data)
/// and both directions flush the domain's IOTLB entries with a sync, as the drivers do (a cached
/// translation must not carry the old tracking state). EOPNOTSUPP without dirty_ops.
/// Reply: <see cref="Done"/>, after the sync.
/// </summary>
public sealed record IommuSetDirtyTracking(bool Enable);

/// <summary>
/// Seed 004's iommu_read_and_clear_dirty: walks [<paramref name="Iova"/>, + <paramref name="Length"/>)
/// in chunks of one page of bitmap page pointers (2^24 bits: 64 GiB of IOVA at 4 KiB pages), records
/// each dirty IOPTE into <paramref name="Bitmap"/> (one bit per <paramref name="PageSize"/> bytes, OR-ed
/// in; the caller's buffer, handed over until the reply) and clears it unless
/// <paramref name="NoClear"/>, then syncs the IOTLB once for the whole range (none with NoClear, as
/// iommu_read_and_clear_dirty skips it). <paramref name="Tag"/> names the request in trace events
/// (0: no report follows). Errors: EOPNOTSUPP without dirty_ops, EINVAL when tracking is off (the
/// drivers' check), for a zero length or a page size that is not a power of two of at least 4 KiB
/// or to which the range is not aligned; EOVERFLOW when the range wraps; EFAULT for a bitmap too
/// short for the range. Reply: <see cref="IommuDirtyRead"/>.
/// </summary>
public sealed record IommuReadAndClearDirty(Iova Iova, ulong Length, ulong PageSize, ulong[] Bitmap, bool NoClear = false, long Tag = 0);

/// <param name="Chunks">Driver calls (ops->read_and_clear_dirty), one per chunk.</param>
/// <param name="DirtyLeaves">Dirty IOPTEs found.</param>
/// <param name="Synced">An IOTLB sync was issued and completed before this reply.</param>
public sealed record IommuDirtyRead(Errno Errno, long Chunks, long DirtyLeaves, bool Synced) : IReply;

/// <summary>The domain's dirty tracking counters. Reply: <see cref="IommuDirtyStats"/>.</summary>
public sealed record GetIommuDirtyStats;

/// <param name="Reads">Read-and-clear requests handled (failed ones not counted).</param>
/// <param name="Chunks">Chunks walked over all reads.</param>
/// <param name="DirtyLeaves">Dirty IOPTEs found over all reads.</param>
/// <param name="Syncs">iommu_iotlb_sync calls by read-and-clear and set_dirty_tracking (one each; the unit sees a command only for a non-empty gather).</param>
/// <param name="TrackingChanges">set_dirty_tracking calls that succeeded.</param>
public sealed record IommuDirtyStats(Errno Errno, bool Tracking, long Reads, long Chunks, long DirtyLeaves, long Syncs, long TrackingChanges) : IReply;
