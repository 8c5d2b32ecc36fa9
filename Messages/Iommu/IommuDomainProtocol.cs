using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Iommu;

// Requests to an IommuDomainActor (struct iommu_domain; drivers/iommu/iommu.c).

/// <summary>Domain types of include/linux/iommu.h (SVA arrives with seed 002).</summary>
public enum IommuDomainType
{
    Blocked,
    Identity,
    Unmanaged,
    Dma,
    DmaFlushQueue,
    Sva,
}

/// <summary>IOMMU_READ / IOMMU_WRITE.</summary>
[Flags]
public enum IommuProt
{
    None = 0,
    Read = 1,
    Write = 2,
}

/// <summary>iommu_map: maps [iova, iova+size) to physical memory. Reply: <see cref="Done"/>.</summary>
public sealed record IommuMap(Iova Iova, PhysAddr Phys, ulong Size, IommuProt Prot);

/// <summary>iommu_unmap: unmaps, flushes and syncs the IOTLB before answering. Reply: <see cref="IommuUnmapped"/>.</summary>
public sealed record IommuUnmap(Iova Iova, ulong Size);

/// <summary>Bytes actually unmapped (iommu_unmap's return value).</summary>
public sealed record IommuUnmapped(Errno Errno, ulong Size) : IReply;

/// <summary>Attach a device to the domain if the domain's unit and configuration fit ("can attach"), else -EINVAL. Reply: <see cref="Done"/>.</summary>
public sealed record AttachDevice(string DeviceName, string UnitName);

/// <summary>iommu_detach_device: the device's DMA is blocked again. EINVAL if it is not attached here. Reply: <see cref="Done"/>.</summary>
public sealed record DetachDevice(string DeviceName);

/// <summary>A device's translation request (a page walk after an IOTLB miss). Reply: <see cref="Translation"/>.</summary>
public sealed record Translate(Iova Iova, bool Write);

/// <summary>The translation, or EFAULT/EPERM for a fault; <paramref name="Levels"/> page-table levels were walked.</summary>
public sealed record Translation(Errno Errno, PhysAddr Phys, ulong PageSize, IommuProt Prot, int Levels) : IReply
{
    /// <summary>The IOPTE's dirty bit after the walk (a write walk with dirty tracking on sets it).</summary>
    public bool Dirty { get; init; }

    /// <summary>
    /// The unit must not cache the translation: it comes from a TCE table whose PHB has no TCE
    /// cache (no TCE_PCI_SWINV flag), so software never invalidates it.
    /// </summary>
    public bool NoCache { get; init; }

    /// <summary>
    /// The table sets dirty bits now (iommu_dirty_ops.set_dirty_tracking on): a write through a
    /// cached copy of a clean entry must walk again so that the hardware sets the bit. Without
    /// tracking a cached entry serves writes as it is.
    /// </summary>
    public bool DirtyTracking { get; init; }
}

/// <summary>
/// The unit's page walker asking for <paramref name="Pages"/> consecutive 4 KiB pages from
/// <paramref name="Iova"/> at once (one walk per page, as a hardware walker with a prefetching
/// walk cache does). Reply: <see cref="RangeTranslation"/> with one translation per page, in order,
/// ending at the first fault (which is included).
/// </summary>
public sealed record TranslateRange(Iova Iova, int Pages, bool Write);

/// <summary>The walks of a <see cref="TranslateRange"/>; <see cref="IReply.Errno"/> is that of the last page (a fault) or None.</summary>
public sealed record RangeTranslation(Errno Errno, Iova Iova, IReadOnlyList<Translation> Pages) : IReply;

/// <summary>
/// The DMA API on a DMA or DMA-FQ domain (drivers/iommu/dma-iommu.c iommu_dma_map_page): allocate
/// an IOVA range for <paramref name="Size"/> bytes and map <paramref name="Phys"/> there.
/// Reply: <see cref="DmaMapped"/>.
/// </summary>
public sealed record DmaMap(PhysAddr Phys, ulong Size, IommuProt Prot);

public sealed record DmaMapped(Errno Errno, Iova Iova) : IReply;

/// <summary>
/// iommu_dma_unmap_page (__iommu_dma_unmap): unmap a <see cref="DmaMap"/> range. A strict DMA
/// domain flushes and syncs the IOTLB before it answers and frees the IOVA; a DMA-FQ domain
/// answers at once and queues the IOVA on its flush queue, freeing it only once a later
/// flush-all (queue full, timeout or <see cref="IommuFlushIotlbAll"/>) has completed.
/// Reply: <see cref="IommuUnmapped"/>.
/// </summary>
public sealed record DmaUnmap(Iova Iova, ulong Size);

/// <summary>iommu_flush_iotlb_all: a domain-wide invalidation and sync; also drains the flush queue. Reply: <see cref="Done"/>.</summary>
public sealed record IommuFlushIotlbAll;

/// <summary>Asks the domain for its state and counters. Reply: <see cref="IommuDomainStats"/>.</summary>
public sealed record GetIommuDomainStats;

/// <param name="DomainId">The unit's domain id while a device is attached, else null.</param>
/// <param name="Devices">Devices attached now.</param>
/// <param name="MappedBytes">Bytes of IOVA mapped in the page table.</param>
/// <param name="Leaves">Leaf IOPTEs present.</param>
/// <param name="TablePages">Page-table pages held (the root included).</param>
/// <param name="Maps">Successful map requests (iommu_map, DMA API, directory maps).</param>
/// <param name="Unmaps">Unmap requests handled (any kind).</param>
/// <param name="IotlbSyncs">Invalidation batches sent to the unit with a sync.</param>
/// <param name="IotlbCommands">Invalidation commands sent to the unit.</param>
/// <param name="FlushQueueQueued">IOVA ranges put on the flush queue.</param>
/// <param name="FlushQueueFlushes">Flush-alls the flush queue issued (full, timeout or explicit).</param>
/// <param name="FlushQueuePending">IOVA ranges waiting on the flush queue now.</param>
/// <param name="IovaAllocated">Bytes of IOVA allocated by the DMA API and directory maps.</param>
public sealed record IommuDomainStats(
    Errno Errno,
    IommuDomainType Type,
    uint? DomainId,
    int Devices,
    ulong MappedBytes,
    long Leaves,
    long TablePages,
    long Maps,
    long Unmaps,
    long IotlbSyncs,
    long IotlbCommands,
    long FlushQueueQueued,
    long FlushQueueFlushes,
    int FlushQueuePending,
    ulong IovaAllocated) : IReply;
