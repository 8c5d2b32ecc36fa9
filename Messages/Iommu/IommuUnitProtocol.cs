using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Iommu;

// Requests to an IommuUnitActor (one IOMMU hardware block: an SMMUv3, a VT-d DMAR unit, an AMD
// IOMMU) from the domains, devices and tests around it. Each request is answered with exactly
// one reply; the unit's own requests to devices (ATC invalidation) are answered by the device.

/// <summary>
/// The domain's configuration a unit checks on attach (Intel's paging_domain_compatible, the
/// SMMUv3 finalise checks): page-table format, leaf sizes (pgsize_bitmap), IOVA width and whether
/// the domain needs hardware dirty tracking (IOMMU_HWPT_ALLOC_DIRTY_TRACKING).
/// </summary>
public sealed record IommuDomainGeometry(string Format, ulong PageSizes, int AddressBits, bool DirtyTracking);

/// <summary>
/// iommu_probe_device: the device sits behind this unit. <paramref name="Ats"/>: it has an ATC
/// (device TLB) that the unit's invalidations must reach before a sync completes. EEXIST when
/// another actor already probed under that name. Reply: <see cref="Done"/>.
/// </summary>
public sealed record ProbeDevice(string DeviceName, IActorRef Device, bool Ats)
{
    /// <summary>The device's PASID width (its PCIe PASID capability); 0 for none.</summary>
    public int PasidBits { get; init; } = 20;

    /// <summary>The device can send PCIe page requests (PRI) for its PASID accesses.</summary>
    public bool PageRequests { get; init; } = true;
}

/// <summary>
/// The driver's attach_dev: install the stream-table / context entry that sends the device's DMA
/// to <paramref name="Domain"/>. ENODEV for a device the unit has not probed; EINVAL when the
/// domain's configuration does not fit the unit (format, page sizes, address width, dirty
/// tracking) or the type cannot be attached as a device's domain (SVA). The first attach of a
/// paging domain allocates its domain id on the unit (domain_attach_iommu). EBUSY when the device
/// is attached to another domain (detach it first, as iommu_attach_device requires); attaching
/// the domain it is already in succeeds and changes nothing.
/// Reply: <see cref="UnitDeviceAttached"/>.
/// </summary>
public sealed record UnitAttachDevice(string DeviceName, IActorRef Domain, IommuDomainType Type, IommuDomainGeometry Geometry);

/// <summary>The domain id (DID / ASID) the unit tags the domain's IOTLB entries with, 0 for non-paging types.</summary>
public sealed record UnitDeviceAttached(Errno Errno, uint DomainId) : IReply;

/// <summary>
/// Blocks the device's DMA again (the blocking domain). When no device of the domain is left the
/// unit invalidates everything tagged with its domain id and frees the id (domain_detach_iommu).
/// EINVAL if the device is not attached to <paramref name="Domain"/>. Reply: <see cref="UnitDeviceDetached"/>.
/// </summary>
public sealed record UnitDetachDevice(string DeviceName, IActorRef Domain);

public sealed record UnitDeviceDetached(Errno Errno, bool DomainIdReleased) : IReply;

/// <summary>What an invalidation command selects (VT-d descriptors, SMMUv3 TLBI commands).</summary>
public enum IotlbInvalidationKind
{
    /// <summary>The domain's entries overlapping [Start, Start + Length).</summary>
    Range,
    /// <summary>The entries of one PASID.</summary>
    Pasid,
    /// <summary>Every entry of the domain.</summary>
    Domain,
    /// <summary>Everything.</summary>
    Global,
}

/// <summary>
/// One invalidation command as a domain issues it. The unit fills in the domain id from the
/// domain actor it comes from. <paramref name="LeafOnly"/> is the leaf hint (VT-d IH, SMMU LEAF);
/// <paramref name="Granule"/> the page size the range was gathered at.
/// </summary>
public readonly record struct IotlbInvalidation(
    IotlbInvalidationKind Kind,
    Iova Start = default,
    ulong Length = 0,
    bool LeafOnly = true,
    ulong Granule = 4096,
    Pasid? Pasid = null)
{
    public static IotlbInvalidation Range(Iova start, ulong length, ulong granule, bool leafOnly = true) =>
        new(IotlbInvalidationKind.Range, start, length, leafOnly, granule);

    public static IotlbInvalidation ForDomain { get; } = new(IotlbInvalidationKind.Domain);

    public static IotlbInvalidation Global { get; } = new(IotlbInvalidationKind.Global);

    public static IotlbInvalidation ForPasid(Pasid pasid) => new(IotlbInvalidationKind.Pasid, Pasid: pasid);
}

/// <summary>
/// Queue <paramref name="Commands"/> on the unit's invalidation queue for <paramref name="Domain"/>'s
/// entries and, with <paramref name="Sync"/>, complete them with a sync (CMD_SYNC / wait
/// descriptor) whose completion also waits for every device TLB behind the unit to acknowledge
/// its invalidation. The reply to a sync comes only once no IOTLB, micro-TLB or ATC can still
/// return a translation the commands removed. Commands of a domain the unit has no id for
/// (no device attached) select nothing. Reply: <see cref="IotlbInvalidated"/>.
/// </summary>
public sealed record IotlbInvalidate(IActorRef Domain, IReadOnlyList<IotlbInvalidation> Commands, bool Sync, long Cookie);

/// <summary><paramref name="Synced"/>: the commands (and every one queued before them) have completed.</summary>
public sealed record IotlbInvalidated(Errno Errno, long Cookie, bool Synced) : IReply;

/// <summary>
/// A DMA burst of <paramref name="Pages"/> 4 KiB pages from <paramref name="Iova"/> that the
/// device hands to the unit: each page is translated (micro-TLB, IOTLB, else a page walk) and
/// then read or written in physical memory, as an untranslated PCIe request travels through the
/// IOMMU to memory. <paramref name="Values"/> holds one value per page for a write. The first
/// fault stops the burst. Reply: <see cref="UnitDmaDone"/>.
/// </summary>
public sealed record UnitDma(string DeviceName, Iova Iova, int Pages, bool Write, IReadOnlyList<ulong>? Values, long Tag);

public sealed record UnitDmaDone(long Tag, DmaCompleted Result);

/// <summary>
/// A PCIe ATS translation request for up to <paramref name="Pages"/> pages from
/// <paramref name="Iova"/>: translations only, for the device's ATC. Reply: <see cref="AtsTranslation"/>.
/// </summary>
public sealed record AtsTranslate(string DeviceName, Iova Iova, int Pages, bool Write);

/// <summary>One translated page as an ATS completion returns it; <paramref name="DomainId"/> tags the ATC entry.</summary>
public readonly record struct AtsEntry(Iova PageIova, PhysAddr PageBase, ulong PageSize, IommuProt Prot, uint DomainId);

/// <summary>
/// The translations of consecutive pages from the request's IOVA, up to the first fault;
/// <see cref="IReply.Errno"/> is that fault (EFAULT not present, EPERM no permission) or None.
/// <paramref name="Domain"/> is the domain that translated them, for trace events.
/// </summary>
public sealed record AtsTranslation(Errno Errno, IReadOnlyList<AtsEntry> Entries, IActorRef? Domain) : IReply;

/// <summary>What the IOTLB and the device's micro-TLB hold for an IOVA, without touching LRU or counters. Reply: <see cref="UnitProbeResult"/>.</summary>
public sealed record UnitProbe(string DeviceName, Iova Iova);

public sealed record UnitProbeResult(Errno Errno, bool InIotlb, bool InMicroTlb, PhysAddr Phys) : IReply;

/// <summary>Drains the unit's fault queue (the SMMU event queue, the VT-d fault recording registers). Reply: <see cref="UnitFaults"/>.</summary>
public sealed record ReadUnitFaults;

/// <summary>One recorded translation fault.</summary>
public readonly record struct IommuFaultRecord(string Device, Iova Iova, bool Write, Errno Reason, uint DomainId);

/// <param name="Overflowed">Faults lost because the queue was full (the queue's overflow flag).</param>
public sealed record UnitFaults(Errno Errno, IReadOnlyList<IommuFaultRecord> Faults, long Overflowed) : IReply;

/// <summary>Asks the unit for its counters. Reply: <see cref="IommuUnitStats"/>.</summary>
public sealed record GetIommuUnitStats;

/// <param name="IotlbHits">Translations served by the IOTLB.</param>
/// <param name="IotlbMisses">IOTLB lookups that missed (each leads to a walk).</param>
/// <param name="MicroTlbHits">Translations served by a device's micro-TLB.</param>
/// <param name="Walks">Page walks (one per page walked).</param>
/// <param name="WalkLevels">Page-table levels read by those walks.</param>
/// <param name="InvalidationCommands">Commands submitted to the invalidation queue.</param>
/// <param name="Syncs">Syncs completed (forced ones included).</param>
/// <param name="AtcInvalidations">ATC invalidations sent to devices.</param>
/// <param name="Faults">Translation faults (blocked, not present, no permission).</param>
/// <param name="BypassPages">Pages an IDENTITY domain passed through untranslated.</param>
/// <param name="DmaPages">Pages read or written in memory on behalf of devices.</param>
/// <param name="DomainIds">Domain ids in use now.</param>
public sealed record IommuUnitStats(
    Errno Errno,
    string Unit,
    long IotlbHits,
    long IotlbMisses,
    long MicroTlbHits,
    long Walks,
    long WalkLevels,
    long InvalidationCommands,
    long Syncs,
    long AtcInvalidations,
    long Faults,
    long BypassPages,
    long DmaPages,
    int DomainIds,
    int IotlbValidEntries) : IReply;
