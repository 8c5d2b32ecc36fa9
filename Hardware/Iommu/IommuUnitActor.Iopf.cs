using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

// Recoverable I/O page faults (DESIGN.md protocol 3; drivers/iommu/io-pgfault.c). A PASID access
// that finds no valid PTE becomes a page request group in the hardware page request queue (the
// VT-d PRQ, the SMMUv3 PRIQ); the driver's queue thread drains it into io-pgfault's per-device
// state: non-last requests wait in the partial list, a last one is recorded as pending
// (fault_param->faults) and its group goes to the fault handler of the domain in the device's
// PASID entry. The handler's response is sent to the device only while its request is pending
// (iommu_page_response). The unit stands for the hardware and its driver here, as it does for
// attach checks.
public sealed partial class IommuUnitActor
{
    /// <summary>One page request (struct iommu_fault_page_request) as the hardware queues it.</summary>
    private readonly record struct PageRequest(UnitDevice Device, Pasid Pasid, int GroupId, VirtAddr Address, bool Write, bool Last);

    /// <summary>Self-message: the driver's page request thread runs (prq_event_thread, arm_smmu_priq_thread).</summary>
    private sealed class DrainPageRequestQueue
    {
        public static readonly DrainPageRequestQueue Instance = new();
    }

    /// <summary>PCIe's 9-bit page request group index.</summary>
    private const int GroupIds = 512;

    private readonly Queue<PageRequest> _prq = new();
    private bool _prqOverflow;
    private bool _prqDrainScheduled;
    // iopf_param->partial of every device, in arrival order.
    private readonly List<PageRequest> _partial = [];
    // iopf_param->faults: last requests whose group awaits a response.
    private readonly HashSet<(string Device, uint Pasid, int GroupId)> _pendingFaults = [];
    // Group indexes a device waits on (from its request to the response it gets), and the next to try.
    private readonly HashSet<(string Device, int GroupId)> _groupsInUse = [];
    private readonly Dictionary<string, int> _nextGroupId = new(StringComparer.Ordinal);

    private long _pageRequests;
    private long _pageRequestsDropped;
    private long _pageResponses;

    /// <summary>
    /// A PASID access could not be translated. With page requests, the faulting page and the next
    /// ones of the burst (up to <see cref="IopfOptions.GroupPages"/>) go into the page request queue
    /// as one group and the device is told which group to wait for; without them (or once the
    /// PASID is being removed) the burst aborts with <paramref name="errno"/>.
    /// </summary>
    private bool PageRequestOrAbort(DmaJob job, Errno errno, DomainContext? context)
    {
        var entry = job.Sva!;
        var device = job.Device;
        if (entry.Removing || !DoesPageRequests(device.Name) || errno is not (Errno.EFAULT or Errno.EPERM) || !TryAllocateGroup(device.Name, out var group))
            return Finish(job, errno, context);
        var va = job.Iova + ((ulong)job.Done << PageSize.BaseShift);
        var pages = Math.Min(job.Pages - job.Done, _config.Iopf.GroupPages);
        // The burst's answer goes first: a hardware answer to a lost last request must not overtake it.
        ReplySva(job, Errno.None, group);
        for (var i = 0; i < pages; i++)
            QueuePageRequest(new PageRequest(device, entry.Pasid, group, new VirtAddr(va + ((ulong)i << PageSize.BaseShift)), job.Write, Last: i == pages - 1));
        return true;
    }

    private UnitIopfStats IopfStats() => new(Errno.None, _pasids.Count, _pageRequests, _pageRequestsDropped, _pageResponses,
        _pendingFaults.Count, _partial.Count, _prq.Count);

    /// <summary>The lowest group index from the device's last one that it is not waiting on.</summary>
    private bool TryAllocateGroup(string device, out int group)
    {
        var start = _nextGroupId.GetValueOrDefault(device);
        for (var i = 0; i < GroupIds; i++)
        {
            group = (start + i) % GroupIds;
            if (_groupsInUse.Add((device, group)))
            {
                _nextGroupId[device] = (group + 1) % GroupIds;
                return true;
            }
        }
        group = -1;
        return false;
    }

    /// <summary>Into the hardware queue, or lost when it is full (the overflow flag is set, and a lost last request is answered SUCCESS).</summary>
    private void QueuePageRequest(PageRequest request)
    {
        var dropped = _prq.Count >= _config.Iopf.QueueDepth;
        _pageRequests++;
        if (Context.System.EventStream.HasSubscribers(typeof(PageRequestQueued)))
            Context.System.EventStream.Publish(new PageRequestQueued(_config.Name, request.Device.Name, request.Pasid, request.GroupId,
                request.Address, request.Write, request.Last, dropped));
        if (dropped)
        {
            _pageRequestsDropped++;
            _prqOverflow = true;
            // VT-d: on a full queue the hardware itself answers a last request with success, so
            // the device retries and faults again (the partial requests before it are left over).
            if (request.Last) SendPageResponse(request.Device, request.Pasid, request.GroupId, PageResponseCode.Success);
            return;
        }
        _prq.Enqueue(request);
        if (_prqDrainScheduled) return;
        _prqDrainScheduled = true;
        Self.Tell(DrainPageRequestQueue.Instance, Self);
    }

    /// <summary>The page request thread: report every queued request, then discard the partial groups if the queue overflowed.</summary>
    private void DrainPageRequests()
    {
        _prqDrainScheduled = false;
        while (_prq.TryDequeue(out var request)) ReportDeviceFault(request);
        if (!_prqOverflow) return;
        // A lost request may have been some group's last: its partial requests can never complete.
        _prqOverflow = false;
        DiscardPartials(null, null);
    }

    /// <summary>
    /// iommu_report_device_fault + iommu_handle_iopf. A request of a device without page requests
    /// or of a PASID with no entry (or one being removed) finds no handler: its group is answered
    /// INVALID at once, as the driver does when reporting fails (handle_bad_prq_event).
    /// </summary>
    private void ReportDeviceFault(PageRequest request)
    {
        var device = request.Device.Name;
        if (!request.Last)
        {
            _partial.Add(request);
            return;
        }
        if (!_pasids.TryGetValue((device, request.Pasid.Value), out var entry) || entry.Removing || !DoesPageRequests(device))
        {
            _partial.RemoveAll(p => p.Device == request.Device && p.GroupId == request.GroupId);
            SendPageResponse(request.Device, request.Pasid, request.GroupId, PageResponseCode.Invalid);
            return;
        }
        _pendingFaults.Add((device, request.Pasid.Value, request.GroupId));
        // The partial requests of the group go before the last one, in arrival order.
        var faults = new List<IopfFault>();
        foreach (var p in _partial)
            if (p.Device == request.Device && p.GroupId == request.GroupId && p.Pasid == request.Pasid)
                faults.Add(new IopfFault(p.Address, p.Write));
        _partial.RemoveAll(p => p.Device == request.Device && p.GroupId == request.GroupId && p.Pasid == request.Pasid);
        faults.Add(new IopfFault(request.Address, request.Write));
        entry.HandlerGroups++;
        entry.Context.Ref.Tell(new IopfGroup(device, request.Pasid, request.GroupId, faults), Self);
    }

    /// <summary>
    /// The handler's iopf_group_response. The response reaches the device only if its last request
    /// is still pending (iommu_page_response: "no pending PRQ, drop response"); a PASID whose
    /// removal waited for this group completes its removal after the response went out.
    /// </summary>
    private void OnIopfGroupResponse(IopfGroupResponse response)
    {
        var key = (response.DeviceName, response.Pasid.Value, response.GroupId);
        if (_pendingFaults.Remove(key) && _devices.TryGetValue(response.DeviceName, out var device))
            SendPageResponse(device, response.Pasid, response.GroupId, response.Code);
        if (!_pasids.TryGetValue((response.DeviceName, response.Pasid.Value), out var entry) || !entry.Context.Ref.Equals(Sender)) return;
        entry.HandlerGroups--;
        if (entry.Removing && entry.HandlerGroups == 0 && entry.RemovalReplyTo is { } replyTo)
        {
            entry.RemovalReplyTo = null;
            CompleteRemoval(entry, replyTo);
        }
    }

    /// <summary>ops->page_response: the page group response goes to the device, which may reuse the group index.</summary>
    private void SendPageResponse(UnitDevice device, Pasid pasid, int group, PageResponseCode code)
    {
        _groupsInUse.Remove((device.Name, group));
        _pageResponses++;
        if (Context.System.EventStream.HasSubscribers(typeof(PageResponseSent)))
            Context.System.EventStream.Publish(new PageResponseSent(_config.Name, device.Name, pasid, group, code));
        device.Actor.Tell(new PageGroupResponse(pasid, group, code), Self);
    }

    /// <summary>iopf_queue_discard_partial (all devices, <paramref name="device"/> null) or the partial requests of one PASID.</summary>
    private void DiscardPartials(UnitDevice? device, Pasid? pasid)
    {
        var dropped = _partial.RemoveAll(p => device is null || (p.Device == device && p.Pasid == pasid));
        if (dropped > 0 && Context.System.EventStream.HasSubscribers(typeof(PartialFaultsDiscarded)))
            Context.System.EventStream.Publish(new PartialFaultsDiscarded(_config.Name, device?.Name ?? "*", dropped));
    }

    /// <summary>
    /// A PASID entry vanished without a flush (its device or its domain stopped): its partial
    /// requests go and its pending groups are answered INVALID, as iopf_queue_remove_device does.
    /// </summary>
    private void DropFaults(UnitDevice device, Pasid pasid)
    {
        _partial.RemoveAll(p => p.Device == device && p.Pasid == pasid);
        foreach (var fault in _pendingFaults.Where(f => f.Device == device.Name && f.Pasid == pasid.Value).ToList())
        {
            _pendingFaults.Remove(fault);
            SendPageResponse(device, pasid, fault.GroupId, PageResponseCode.Invalid);
        }
    }
}
