using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public enum InvalidationKind : byte
{
    /// <summary>Entries of a domain (optionally one PASID) overlapping an IOVA range.</summary>
    Range,
    /// <summary>Entries of one PASID (optionally in one domain).</summary>
    Pasid,
    /// <summary>Entries of one domain.</summary>
    Domain,
    /// <summary>Everything.</summary>
    Global,
    /// <summary>CMD_SYNC / wait descriptor: completes every command queued before it.</summary>
    Sync,
}

/// <summary>
/// One command of an IOMMU invalidation queue (VT-d invalidation queue descriptors, SMMUv3 command
/// queue entries, AMD command buffer entries), reduced to what the translation caches need.
/// <see cref="DomainId"/> null means any domain (only for <see cref="InvalidationKind.Pasid"/>);
/// <see cref="Pasid"/> null means every PASID. <see cref="Granule"/> is the page size the range
/// was gathered at (gather->pgsize), a power of two.
/// </summary>
public readonly record struct InvalidationCommand(
    InvalidationKind Kind,
    uint? DomainId,
    Pasid? Pasid,
    Iova Start,
    ulong Length,
    bool LeafOnly,
    ulong Granule)
{
    public static InvalidationCommand Range(uint domainId, Pasid? pasid, Iova start, ulong length,
        bool leafOnly = true, ulong granule = PageSizeBitmap.Size4K)
    {
        if (!BitOperations.IsPow2(granule))
            throw new ArgumentException($"granule {granule} is not a power of two", nameof(granule));
        return new(InvalidationKind.Range, domainId, pasid, start, length, leafOnly, granule);
    }

    public static InvalidationCommand ForPasid(Pasid pasid, uint? domainId = null) =>
        new(InvalidationKind.Pasid, domainId, pasid, default, 0, false, 0);

    public static InvalidationCommand ForDomain(uint domainId) =>
        new(InvalidationKind.Domain, domainId, null, default, 0, false, 0);

    public static InvalidationCommand Global { get; } = new(InvalidationKind.Global, null, null, default, 0, false, 0);

    public static InvalidationCommand Sync { get; } = new(InvalidationKind.Sync, null, null, default, 0, false, 0);

    /// <summary>
    /// The range command a domain's iotlb_sync issues for a gather (arm_smmu_iotlb_sync:
    /// start, end - start + 1, pgsize, leaf). A gather filled only by add_range (the dirty-bit
    /// read) has no pgsize; it is flushed at 4 KiB granularity.
    /// </summary>
    public static InvalidationCommand FromGather(IotlbGather gather, uint domainId, Pasid? pasid)
    {
        if (gather.IsEmpty)
            throw new ArgumentException("an empty gather has nothing to invalidate", nameof(gather));
        var granule = gather.PageSizeBytes == 0 ? PageSizeBitmap.Size4K : gather.PageSizeBytes;
        return Range(domainId, pasid, new Iova(gather.Start), gather.End - gather.Start + 1, leafOnly: true, granule);
    }

    /// <summary>Pages of <see cref="Granule"/> a range command covers (0 for other kinds).</summary>
    public ulong Pages => Kind == InvalidationKind.Range && Length != 0
        ? ((Length - 1) >> BitOperations.TrailingZeroCount(Granule)) + 1
        : 0;
}
