using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Messages.Sva;

// The SVA protocol inside the model: the SVA core and its domains, and the domains and the mm
// (seed 002's lifetime rules; DESIGN.md protocols 1, 3 and 6).

/// <summary>The SVA core asks a domain to attach the device's PASID on <paramref name="Unit"/> (iommu_attach_device_pasid). Reply: <see cref="SvaDomainAttached"/>.</summary>
public sealed record SvaDomainAttach(string DeviceName, IActorRef Unit);

/// <summary>EINVAL: the domain cannot attach a device of that unit (a per-unit domain, "can attach"); else the unit's answer.</summary>
public sealed record SvaDomainAttached(Errno Errno) : IReply;

/// <summary>The SVA core asks a domain to detach the device's PASID (iommu_detach_device_pasid, fault queue flushed). Reply: <see cref="SvaDomainDetached"/>.</summary>
public sealed record SvaDomainDetach(string DeviceName, IActorRef Unit);

public sealed record SvaDomainDetached(Errno Errno) : IReply;

/// <summary>iommu_domain_free of an SVA domain without devices: it unregisters from the mm, drops its mm reference and stops. Reply: <see cref="SvaDomainFreed"/>.</summary>
public sealed record SvaDomainFree;

public sealed record SvaDomainFreed(Errno Errno) : IReply;

/// <summary>
/// The SVA core records the mm's PASID in it (mm->iommu_mm, smp_store_release in
/// iommu_alloc_mm_data); <see cref="Pasid.Invalid"/> takes it back after a failed first bind.
/// ESRCH: the mm exited (no mm_users for the caller to hold). The mm tells the sender
/// <see cref="SvaMmExited"/> when it exits and <see cref="SvaMmPasidDrop"/> when it goes away.
/// Reply: <see cref="Done"/>.
/// </summary>
public sealed record SvaMmSetPasid(Pasid Pasid);

/// <summary>The mm exited (exit_mmap): no new bind may take it, the PASID stays while an SVA domain holds the mm.</summary>
public sealed record SvaMmExited(IActorRef Mm, Pasid Pasid);

/// <summary>__mmdrop -> mm_pasid_drop: the mm's last reference went, its PASID is free.</summary>
public sealed record SvaMmPasidDrop(IActorRef Mm, Pasid Pasid);

/// <summary>
/// An SVA domain takes a reference on the mm (mmgrab in iommu_sva_domain_alloc) and registers its
/// mmu_notifier: from now on every invalidation of the mm reaches it and waits for its fence.
/// ESRCH for an exited mm. Served like a request (after a running invalidation). Reply: <see cref="Done"/>.
/// </summary>
public sealed record SvaMmGrab;

/// <summary>The domain unregisters its notifier and drops its mm reference (mmu_notifier_unregister, mmdrop). Reply: <see cref="Done"/>.</summary>
public sealed record SvaMmDrop;

/// <summary>
/// The IOMMU's page walker reading the mm's CPU page table for <paramref name="Pages"/> pages from
/// <paramref name="Address"/>, on behalf of an SVA domain. The mm serves it only while no
/// invalidation runs (it waits behind one, like every request): a walk can never return a page an
/// invalidation is removing. Reply: <see cref="SvaWalked"/>.
/// </summary>
public sealed record SvaWalk(long Cookie, VirtAddr Address, int Pages, bool Write);

/// <summary>
/// One translation per page, up to and including the first that is not present (EFAULT; a hole,
/// pte_none, a VMA without read permission, a page a device owns) or, for a write, not writable
/// (EPERM; read-only or copy-on-write); <paramref name="Sequence"/> is the mm's (even) sequence
/// the walk read the table under, <paramref name="Generations"/> each page's frame generation.
/// </summary>
public sealed record SvaWalked(Errno Errno, long Cookie, VirtAddr Address, long Sequence, IReadOnlyList<Translation> Pages, IReadOnlyList<int> Generations) : IReply;

/// <summary>iommu_sva_handle_iopf: the mm handles a fault group as CPU faults (errors are sticky). Reply: <see cref="SvaFaultsHandled"/>.</summary>
public sealed record SvaHandleFaults(long Cookie, IReadOnlyList<IopfFault> Faults);

public sealed record SvaFaultsHandled(long Cookie, PageResponseCode Code);

/// <summary>The mm's SVA state for checks. Reply: <see cref="MmSvaState"/>.</summary>
public sealed record GetMmSvaState;

/// <param name="References">mm_count as SVA sees it: one for the process until it exits, one per SVA domain.</param>
public sealed record MmSvaState(Errno Errno, Pasid Pasid, int SvaDomains, int References, bool Exited) : IReply;
