using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of SVA (seed 002) and I/O page faults (DESIGN.md protocols 3 and 6), for the
// oracles "refcounts back to zero at teardown" and "no I/O page fault response after unbind".
// Every reference an SVA object holds is published when it changes, with the count after it.

/// <summary>The SVA core allocated <paramref name="Pasid"/> for <paramref name="Mm"/> (iommu_alloc_global_pasid).</summary>
public sealed record PasidAllocated(IActorRef Mm, Pasid Pasid) : ITraceEvent;

/// <summary>The PASID went back to the allocator: the mm went away (mm_pasid_drop), or its first bind failed (<paramref name="BindFailed"/>).</summary>
public sealed record PasidFreed(IActorRef Mm, Pasid Pasid, bool BindFailed = false) : ITraceEvent;

/// <summary>A bond's user count changed (bind: +1, unbind: -1); 0 means the bond is gone.</summary>
public sealed record SvaBondUsers(long BondId, string Device, IActorRef Mm, Pasid Pasid, int Users) : ITraceEvent;

/// <summary>An SVA domain was allocated for <paramref name="Mm"/>; <paramref name="Unit"/> is its unit (null for a shared domain).</summary>
public sealed record SvaDomainAllocated(IActorRef Domain, IActorRef Mm, Pasid Pasid, string? Unit) : ITraceEvent;

/// <summary>An SVA domain's users (devices attached through it, domain->users) changed.</summary>
public sealed record SvaDomainUsers(IActorRef Domain, int Users) : ITraceEvent;

/// <summary>An SVA domain was freed (its last device left); <paramref name="Users"/> is what it had then, 0 when correct.</summary>
public sealed record SvaDomainReleased(IActorRef Domain, IActorRef Mm, int Users) : ITraceEvent;

/// <summary>
/// The mm's reference count as SVA sees it changed: <paramref name="Holder"/> took
/// (<paramref name="Grabbed"/>) or dropped one; the process's own reference is dropped at exit
/// with <paramref name="Holder"/> the mm itself. <paramref name="References"/> is the count after.
/// </summary>
public sealed record MmReference(IActorRef Mm, IActorRef Holder, bool Grabbed, int References) : ITraceEvent;

/// <summary>The unit installed <paramref name="Domain"/> in the device's PASID entry (set_dev_pasid).</summary>
public sealed record PasidAttached(string Unit, string Device, Pasid Pasid, IActorRef Domain) : ITraceEvent;

/// <summary>The unit finished removing the device's PASID entry, fault queue flushed (remove_dev_pasid): the unbind's point of no return.</summary>
public sealed record PasidDetached(string Unit, string Device, Pasid Pasid, IActorRef Domain) : ITraceEvent;

/// <summary>
/// A page request entered the unit's page request queue (<paramref name="Dropped"/>: the queue was
/// full and the request was lost; a lost last request is answered SUCCESS by the hardware so that
/// the device retries).
/// </summary>
public sealed record PageRequestQueued(string Unit, string Device, Pasid Pasid, int GroupId, VirtAddr Address, bool Write, bool Last, bool Dropped) : ITraceEvent;

/// <summary>The unit sent a page group response to the device (ops->page_response, or the hardware's own answer to a lost last request).</summary>
public sealed record PageResponseSent(string Unit, string Device, Pasid Pasid, int GroupId, PageResponseCode Code) : ITraceEvent;

/// <summary>Partial groups (requests whose last never came) were discarded (iopf_queue_discard_partial, or the PASID's removal).</summary>
public sealed record PartialFaultsDiscarded(string Unit, string Device, int Requests) : ITraceEvent;
