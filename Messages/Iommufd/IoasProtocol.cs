using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Messages.Iommufd;

// Requests to an IoasActor (struct iommufd_ioas / struct io_pagetable, drivers/iommu/iommufd/
// io_pagetable.c and ioas.c). Each is answered by exactly one reply; the IOAS handles them one at
// a time, in arrival order (the iova_rwsem and domains_rwsem serialise them in the kernel), and a
// failed request changes nothing.

/// <summary>Marks a request to an IoasActor, so that it can queue every kind the same way.</summary>
public interface IIoasRequest;

/// <summary>
/// IOMMU_IOAS_MAP (iopt_map_user_pages): pins the IOAS owner's memory at
/// [<paramref name="UserAddress"/>, + <paramref name="Length"/>) and maps it in every attached
/// domain, at <paramref name="Iova"/> (IOMMU_IOAS_MAP_FIXED_IOVA) or, when null, at an IOVA the
/// IOAS chooses (IOPT_ALLOC_IOVA). Reply: <see cref="IoasMapped"/>.
/// </summary>
public sealed record IoasMap(VirtAddr UserAddress, ulong Length, IommuProt Prot, Iova? Iova = null) : IIoasRequest;

/// <summary>The IOVA of the new area.</summary>
public sealed record IoasMapped(Errno Errno, Iova Iova) : IReply;

/// <summary>
/// IOMMU_IOAS_UNMAP (iopt_unmap_iova): removes every area inside the range, whole. An IOVA of 0
/// with a length of ULONG_MAX unmaps everything (iopt_unmap_all), as the uAPI defines it.
/// Reply: <see cref="IoasUnmapped"/>.
/// </summary>
public sealed record IoasUnmap(Iova Iova, ulong Length) : IIoasRequest
{
    /// <summary>The uAPI's "unmap everything": iova 0, length UINT64_MAX.</summary>
    public static IoasUnmap All { get; } = new(default, ulong.MaxValue);

    public bool IsAll => Iova.Value == 0 && Length == ulong.MaxValue;
}

/// <summary>The bytes of the areas removed (iopt_unmap_iova's *unmapped).</summary>
public sealed record IoasUnmapped(Errno Errno, ulong Bytes) : IReply;

/// <summary>
/// IOMMU_IOAS_ALLOW_IOVAS (iopt_set_allow_iova): from now on the IOAS allocates IOVA only inside
/// these ranges, and no reservation may take any of them. An empty list allows everything again.
/// Reply: <see cref="Done"/>.
/// </summary>
public sealed record IoasAllowIovas(IReadOnlyList<IovaRange> Ranges) : IIoasRequest;

/// <summary>
/// iopt_reserve_iova on behalf of <paramref name="Owner"/>: a device's reserved region (an MSI
/// window, iopt_table_enforce_group_resv_regions) that no area may use. Reply: <see cref="Done"/>.
/// </summary>
public sealed record IoasReserveIova(string Owner, IovaRange Range) : IIoasRequest;

/// <summary>iopt_remove_reserved_iova: drops every reservation of <paramref name="Owner"/>. Reply: <see cref="Done"/>.</summary>
public sealed record IoasRemoveReservedIova(string Owner) : IIoasRequest;

/// <summary>
/// iopt_table_add_domain: the IOAS takes a paging domain, maps every area into it, reserves the
/// IOVA outside its aperture and raises its IOVA alignment to the domain's smallest page.
/// Reply: <see cref="Done"/>.
/// </summary>
public sealed record IoasAttachDomain(IActorRef Domain) : IIoasRequest;

/// <summary>iopt_table_remove_domain: unmaps every area from the domain (each with its IOTLB flush) and lets it go. Reply: <see cref="Done"/>.</summary>
public sealed record IoasDetachDomain(IActorRef Domain) : IIoasRequest;

/// <summary>The IOAS's areas, domains, ranges and pins (IOMMU_IOAS_IOVA_RANGES and more). Reply: <see cref="IoasInfo"/>.</summary>
public sealed record GetIoasInfo : IIoasRequest;

/// <summary>One area: its IOVA, the user memory behind it, and the pages it pins.</summary>
public sealed record IoasAreaInfo(IovaRange Iova, VirtAddr UserAddress, IommuProt Prot, int Pages);

/// <param name="Areas">Areas in IOVA order.</param>
/// <param name="Domains">Attached domains, in attach order.</param>
/// <param name="Allowed">Allowed ranges (empty: all).</param>
/// <param name="Reserved">Reserved ranges (domain apertures and owners' reservations), in IOVA order.</param>
/// <param name="Usable">What IOMMU_IOAS_IOVA_RANGES reports: the complement of the reserved ranges.</param>
/// <param name="IovaAlignment">iopt->iova_alignment: the largest smallest-page of the attached domains (1 without any).</param>
/// <param name="PinnedPages">Pages the IOAS holds pinned, one per page per area.</param>
public sealed record IoasInfo(
    Errno Errno,
    IReadOnlyList<IoasAreaInfo> Areas,
    IReadOnlyList<IActorRef> Domains,
    IReadOnlyList<IovaRange> Allowed,
    IReadOnlyList<IovaRange> Reserved,
    IReadOnlyList<IovaRange> Usable,
    ulong IovaAlignment,
    long PinnedPages) : IReply;
