using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Iommu;

// The PASID side of an IommuUnitActor (seed 002; DESIGN.md protocols 3 and 6): the per-device
// PASID table that set_dev_pasid / remove_dev_pasid edit, DMA tagged with a PASID, and the PCIe
// page requests (PRI) the unit turns a faulting PASID access into, with their group responses.

/// <summary>
/// What the unit offers a device for SVA (dev->iommu->max_pasids, iommu_dev_enable_feature(SVA)).
/// ENODEV when the unit has not probed the device or has no SVA. Reply: <see cref="UnitSvaInfoReply"/>.
/// </summary>
public sealed record UnitSvaInfo(string DeviceName);

/// <param name="MaxPasids">PASIDs the device may use: 1 &lt;&lt; min(unit PASID bits, device PASID bits) (dev_iommu_get_max_pasids); 0 without PASID support.</param>
/// <param name="PageRequests">The unit and the device both do PCIe page requests, so a faulting PASID access is recoverable.</param>
public sealed record UnitSvaInfoReply(Errno Errno, uint MaxPasids, bool PageRequests) : IReply;

/// <summary>
/// The driver's set_dev_pasid: install <paramref name="Domain"/> (an SVA domain wrapping
/// <paramref name="Mm"/>) in the device's PASID table entry <paramref name="Pasid"/>. The first
/// PASID of a domain on the unit allocates the domain's id there (the SVA domain's ASID / DID).
/// ENODEV: device not probed or unit without SVA; EOVERFLOW: <paramref name="Pasid"/> at or above
/// the device's max_pasids; EBUSY: the entry holds another domain (iommu_attach_device_pasid's
/// xa_insert of the group's pasid_array); EINVAL: not an SVA domain. Attaching the domain the entry
/// already holds is EBUSY too, as the core refuses a second attach of the same PASID.
/// Reply: <see cref="UnitDevPasidSet"/>.
/// </summary>
public sealed record UnitSetDevPasid(string DeviceName, Pasid Pasid, IActorRef Domain, IActorRef Mm, IommuDomainType Type = IommuDomainType.Sva);

public sealed record UnitDevPasidSet(Errno Errno, uint DomainId) : IReply;

/// <summary>
/// The driver's remove_dev_pasid with the fault-queue flush the core requires before a PASID is
/// released (intel_iommu_remove_dev_pasid: tear the PASID entry down, intel_drain_pasid_prq, then
/// iopf_queue_flush_dev). In order: DMA with the PASID aborts from now on; the page requests of
/// the PASID still in the page request queue are answered INVALID; partial groups of the PASID
/// are discarded; the groups the fault handler is working on are waited for (their responses
/// reach the device before this completes); the IOTLB, micro-TLB and device TLB entries of the
/// PASID are invalidated and synced. Only then is the reply sent, and no page response for the
/// PASID reaches the device after it. EINVAL if the entry does not hold <paramref name="Domain"/>.
/// Reply: <see cref="UnitDevPasidRemoved"/>.
/// </summary>
public sealed record UnitRemoveDevPasid(string DeviceName, Pasid Pasid, IActorRef Domain);

/// <param name="DomainIdReleased">The domain has no PASID left on the unit: its id was flushed and freed.</param>
public sealed record UnitDevPasidRemoved(Errno Errno, bool DomainIdReleased) : IReply;

/// <summary>IOMMU_FAULT_PAGE_RESPONSE codes (enum iommu_page_response_code).</summary>
public enum PageResponseCode
{
    /// <summary>IOMMU_PAGE_RESP_SUCCESS: the pages are there, retry the access.</summary>
    Success = 0,
    /// <summary>IOMMU_PAGE_RESP_INVALID: the access cannot succeed; the device fails it.</summary>
    Invalid = 1,
    /// <summary>IOMMU_PAGE_RESP_FAILURE: the device must stop using the PASID.</summary>
    Failure = 2,
}

/// <summary>One page request of a group (struct iommu_fault_page_request): the page and whether the access writes.</summary>
public readonly record struct IopfFault(VirtAddr Address, bool Write);

/// <summary>
/// A complete fault group for the fault handler of the domain in the device's PASID entry
/// (iommu_handle_iopf -> domain->iopf_handler): the partial requests of the group in arrival order,
/// then the last one. The handler answers each group once with <see cref="IopfGroupResponse"/>.
/// </summary>
public sealed record IopfGroup(string DeviceName, Pasid Pasid, int GroupId, IReadOnlyList<IopfFault> Faults);

/// <summary>
/// iopf_group_response: the handler's answer for a group. The unit sends it to the device only if
/// the group's last request is still pending (iommu_page_response drops it otherwise).
/// </summary>
public sealed record IopfGroupResponse(string DeviceName, Pasid Pasid, int GroupId, PageResponseCode Code);

/// <summary>
/// A DMA burst tagged with a PASID (SVA): <paramref name="Pages"/> 4 KiB pages from
/// <paramref name="Address"/> in the address space the device's PASID entry points to. Each page
/// goes through the micro-TLB and IOTLB (tagged with the PASID) or a walk of the mm's CPU page table
/// through the SVA domain. A page without a valid PTE (or a write to a read-only one) stops the
/// burst; with page requests the unit queues a page request group for it and the reply says so,
/// the device then waits for the group's response. Reply: <see cref="UnitPasidDmaDone"/>.
/// </summary>
public sealed record UnitPasidDma(string DeviceName, Pasid Pasid, VirtAddr Address, int Pages, bool Write, IReadOnlyList<ulong>? Values, long Tag);

/// <summary>
/// The end of a PASID burst, or its pause: <paramref name="Pages"/> were accessed. With
/// <paramref name="PageRequestGroup"/> set, the burst stopped at the next page and the unit sent a
/// page request group with that index: the device retries from there after a SUCCESS response.
/// Otherwise <see cref="IReply.Errno"/> is the burst's result (EFAULT: no translation and no page
/// requests, or the PASID is not attached; EPERM: a write to a read-only page without page
/// requests; EIO: a dead frame; EINVAL: a malformed burst).
/// </summary>
public sealed record UnitPasidDmaDone(long Tag, Errno Errno, int Pages, IReadOnlyList<ulong> Values, int? PageRequestGroup) : IReply;

/// <summary>The unit's PCIe page request group response to the device (ops->page_response).</summary>
public sealed record PageGroupResponse(Pasid Pasid, int GroupId, PageResponseCode Code);

/// <summary>The device reads <paramref name="Pages"/> pages from <paramref name="Address"/> with PASID <paramref name="Pasid"/>. Reply: <see cref="SvaDmaCompleted"/>.</summary>
public sealed record DmaReadPasid(Pasid Pasid, VirtAddr Address, int Pages);

/// <summary>The device writes one value per page from <paramref name="Address"/> with PASID <paramref name="Pasid"/>. Reply: <see cref="SvaDmaCompleted"/>.</summary>
public sealed record DmaWritePasid(Pasid Pasid, VirtAddr Address, IReadOnlyList<ulong> Values);

/// <summary>
/// The end of a PASID burst as the device reports it: the pages accessed (their values for a
/// read), the page request groups it sent and waited for, and the errno of the page it stopped
/// at: EFAULT when a page could not be translated (no page requests, or a response INVALID or
/// FAILURE), EPERM for a write to a read-only page without page requests, EIO for a dead frame.
/// </summary>
public sealed record SvaDmaCompleted(Errno Errno, Pasid Pasid, VirtAddr Address, int Pages, IReadOnlyList<ulong> Values, int PageRequests) : IReply
{
    public VirtAddr StoppedAt => Address + ((ulong)Pages << PageSize.BaseShift);
}

/// <summary>Asks a unit for its PASID and page request counters. Reply: <see cref="UnitIopfStats"/>.</summary>
public sealed record GetUnitIopfStats;

/// <param name="PasidEntries">PASID entries installed now, over all devices.</param>
/// <param name="PageRequests">Page requests the unit queued (lost ones included).</param>
/// <param name="PageRequestsDropped">Page requests lost to a full queue.</param>
/// <param name="PageResponses">Page group responses sent to devices.</param>
/// <param name="PendingFaults">Groups waiting for their response now.</param>
/// <param name="PartialRequests">Requests waiting for their group's last one now.</param>
/// <param name="QueuedRequests">Requests in the hardware queue now.</param>
public sealed record UnitIopfStats(
    Errno Errno,
    int PasidEntries,
    long PageRequests,
    long PageRequestsDropped,
    long PageResponses,
    int PendingFaults,
    int PartialRequests,
    int QueuedRequests) : IReply;

/// <summary>Asks a device for its page request counters. Reply: <see cref="DevicePriStats"/>.</summary>
public sealed record GetDevicePriStats;

/// <param name="PageRequests">Page request groups the device waited on.</param>
/// <param name="StrayResponses">Page responses for no group it waited on (ignored).</param>
/// <param name="AwaitingResponse">PASID bursts waiting for a page response now.</param>
/// <param name="AtUnit">PASID bursts the unit is working on now.</param>
public sealed record DevicePriStats(Errno Errno, long PageRequests, long StrayResponses, int AwaitingResponse, int AtUnit) : IReply;
