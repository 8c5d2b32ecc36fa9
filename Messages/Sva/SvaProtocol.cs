using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Sva;

// Requests to the IommuSvaActor, the SVA core of drivers/iommu/iommu-sva.c: everything its
// iommu_sva_lock serialises (the global PASID allocator, each mm's iommu_mm_data with its list of
// SVA domains, the bonds). Each request is answered with one reply; a failed one changes nothing.

/// <summary>
/// iommu_sva_bind_device(dev, mm): bind the device, which sits behind <paramref name="Unit"/>
/// (null: no IOMMU), to the address space of <paramref name="Mm"/>. The mm gets its PASID on its
/// first bind (one per mm, kept until the mm goes away). A second bind of the same device and mm
/// returns the same bond with one more user. Otherwise the device joins an SVA domain of the mm
/// it can attach to (same unit, or any with <c>sva.domain-sharing = shared</c>), or a new one.
/// Errors: ENODEV with no IOMMU, a unit without SVA or a device the unit does not know; EINVAL
/// for an empty device name; ESRCH for an mm that exited (the caller could not hold mm_users);
/// ENOSPC when no PASID is free in [pasid-min, pasid-max] below the device's limit; EOVERFLOW when
/// the mm's PASID is at or above the device's limit; EBUSY when the device's entry for the PASID
/// already holds another domain. Reply: <see cref="SvaBond"/>.
/// </summary>
public sealed record SvaBindDevice(string DeviceName, IActorRef? Unit, IActorRef Mm);

/// <summary>
/// The bond (struct iommu_sva): its id (the handle unbind takes), the PASID the device tags its
/// DMA with (iommu_sva_get_pasid), the SVA domain and the bond's users after this bind.
/// </summary>
public sealed record SvaBond(Errno Errno, long BondId, Pasid Pasid, IActorRef? Domain, int Users) : IReply;

/// <summary>
/// iommu_sva_unbind_device(handle): drop one user of the bond; the last one detaches the device's
/// PASID (flushing its fault queue first) and, if it was the domain's last device, frees the
/// domain, which drops its reference on the mm. EINVAL for an unknown bond. Reply: <see cref="Done"/>.
/// </summary>
public sealed record SvaUnbindDevice(long BondId);

/// <summary>iommu_sva_find: the mm that owns <paramref name="Pasid"/>. Reply: <see cref="SvaMmFound"/>.</summary>
public sealed record SvaFindMm(Pasid Pasid);

/// <summary>ESRCH when no mm holds the PASID (never allocated, or freed with its mm).</summary>
public sealed record SvaMmFound(Errno Errno, IActorRef? Mm) : IReply;

/// <summary>Asks the SVA core for its state and counters. Reply: <see cref="SvaStats"/>.</summary>
public sealed record GetSvaStats;

/// <param name="Pasids">PASIDs allocated now (one per mm that bound a device and has not gone away).</param>
/// <param name="Bonds">Bonds now.</param>
/// <param name="BondUsers">Users of all bonds now.</param>
/// <param name="Domains">SVA domains now.</param>
/// <param name="DomainUsers">Devices attached to all SVA domains now (domain->users summed).</param>
/// <param name="DomainsAllocated">SVA domains allocated since start.</param>
/// <param name="DomainBytes">Memory of the SVA domains now (domains times sva.domain-bytes, plus one attachment record per unit a shared domain spans).</param>
/// <param name="IoPageTableBytes">I/O page-table memory the SVA domains own: none, they walk the mm's CPU page table (seed 002).</param>
/// <param name="AttachAttempts">Attaches tried on existing domains of the mm before one fitted or a new domain was made (the "can attach" search).</param>
/// <param name="Binds">Successful binds.</param>
/// <param name="Unbinds">Unbinds handled.</param>
public sealed record SvaStats(
    Errno Errno,
    int Pasids,
    int Bonds,
    int BondUsers,
    int Domains,
    int DomainUsers,
    long DomainsAllocated,
    long DomainBytes,
    long IoPageTableBytes,
    long AttachAttempts,
    long Binds,
    long Unbinds) : IReply;

/// <summary>Asks an SVA domain for its counters. Reply: <see cref="SvaDomainStats"/>.</summary>
public sealed record GetSvaDomainStats;

/// <param name="Devices">Devices whose PASID entry holds the domain.</param>
/// <param name="Units">Units the domain has devices on (always 1 for a per-unit domain).</param>
/// <param name="Invalidations">mm invalidations (MmuInvalidate) the domain handled.</param>
/// <param name="Commands">IOTLB invalidation commands it sent, over all units.</param>
/// <param name="PasidWide">Of them, whole-PASID commands (a range of 512 pages or more).</param>
/// <param name="Syncs">Syncs it waited for, over all units.</param>
/// <param name="Walks">Walk requests it forwarded to the mm.</param>
/// <param name="FaultGroups">I/O page fault groups it had the mm handle.</param>
public sealed record SvaDomainStats(
    Errno Errno,
    Pasid Pasid,
    int Devices,
    int Units,
    long Invalidations,
    long Commands,
    long PasidWide,
    long Syncs,
    long Walks,
    long FaultGroups) : IReply;
