using IommuSim.Messages.Iommu;

namespace IommuSim.Actors.Iommu;

/// <summary>
/// How an <see cref="IommuDomainActor"/> is made: its type, the page-table configuration it asks
/// for (each null takes the unit's own value, as iommu_paging_domain_alloc sizes a domain for the
/// device's IOMMU), its flush-queue settings and its bug-injection switch.
/// </summary>
public sealed record IommuDomainOptions
{
    public IommuDomainType Type { get; init; } = IommuDomainType.Unmanaged;

    /// <summary>Page-table format (an <c>IoPageTableFormats</c> name); the unit's if null.</summary>
    public string? Format { get; init; }

    /// <summary>Leaf sizes (pgsize_bitmap); the unit's if null.</summary>
    public ulong? PageSizes { get; init; }

    /// <summary>IOVA width of the domain's table; the unit's input width if null.</summary>
    public int? AddressBits { get; init; }

    /// <summary>The domain needs hardware dirty tracking (IOMMU_HWPT_ALLOC_DIRTY_TRACKING): only a unit with it can attach.</summary>
    public bool DirtyTracking { get; init; }

    /// <summary>Free a page-table directory as soon as it empties (true) or keep it until teardown, as io-pgtable-arm does.</summary>
    public bool FreeEmptyTableDirectories { get; init; } = true;

    /// <summary>IOVA_FQ_SIZE: a DMA-FQ domain flushes when this many unmaps are queued.</summary>
    public int FlushQueueSize { get; init; } = 256;

    /// <summary>IOVA_FQ_TIMEOUT: a DMA-FQ domain flushes this long after the first unmap it queued.</summary>
    public TimeSpan FlushQueueTimeout { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Bug injection, off in every correct configuration: answer an unmap right after queueing its
    /// IOTLB invalidation, without the sync (iommu_unmap forgetting iommu_iotlb_sync). Stale IOTLB
    /// and micro-TLB entries then survive the reply, and a device can still translate the IOVA.
    /// </summary>
    public bool SkipIotlbSyncAfterUnmap { get; init; }

    /// <summary>
    /// Bug injection, off in every correct configuration: read-and-clear records each dirty IOPTE
    /// by storing its bitmap word instead of OR-ing into it (iova_bitmap_set with "=" for "|="),
    /// so the dirty pages recorded earlier in the same 64-page word are lost while their IOPTE
    /// bits are cleared: dirty bits cleared without being reported.
    /// </summary>
    public bool ClearDirtyWithoutReport { get; init; }

    public static IommuDomainOptions Default { get; } = new();
}
