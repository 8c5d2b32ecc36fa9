using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

// The PASID table of each device (seed 002): set_dev_pasid installs an SVA domain in a device's
// PASID entry, remove_dev_pasid takes it out after flushing the PASID's faults. An SVA domain
// gets a domain id (ASID / DID) on the unit with its first PASID entry here and gives it back
// with its last, as a paging domain does with its first and last device.
public sealed partial class IommuUnitActor
{
    /// <summary>
    /// One device's PASID entry. <see cref="Removing"/>: remove_dev_pasid has begun, DMA with the
    /// PASID aborts and its page requests are answered INVALID. <see cref="HandlerGroups"/>: fault
    /// groups sent to the domain's handler and not answered yet (what iopf_queue_flush_dev waits for).
    /// </summary>
    private sealed class PasidEntry(UnitDevice device, Pasid pasid, DomainContext context, IActorRef mm)
    {
        public UnitDevice Device { get; } = device;
        public Pasid Pasid { get; } = pasid;
        public DomainContext Context { get; } = context;
        public IActorRef Mm { get; } = mm;
        public bool Removing { get; set; }
        public int HandlerGroups { get; set; }
        public IActorRef? RemovalReplyTo { get; set; }
    }

    /// <summary>What the device said of itself at probe: its PASID width and whether it sends page requests.</summary>
    private readonly record struct DeviceSva(int PasidBits, bool PageRequests);

    private readonly Dictionary<(string Device, uint Pasid), PasidEntry> _pasids = [];
    private readonly Dictionary<string, DeviceSva> _deviceSva = new(StringComparer.Ordinal);

    private void RecordDeviceSva(ProbeDevice probe) => _deviceSva[probe.DeviceName] = new DeviceSva(probe.PasidBits, probe.PageRequests);

    /// <summary>dev->iommu->max_pasids: 1 &lt;&lt; min(unit, device) PASID bits, 0 if either has none.</summary>
    private uint MaxPasids(string device)
    {
        var bits = Math.Min(_caps.PasidBits, _deviceSva.TryGetValue(device, out var d) ? d.PasidBits : 0);
        return bits <= 0 ? 0 : 1u << bits;
    }

    /// <summary>Whether a faulting PASID access of the device can become a page request (the unit and the device do PRI).</summary>
    private bool DoesPageRequests(string device) =>
        _caps.PageRequests && _deviceSva.TryGetValue(device, out var d) && d.PageRequests;

    private void OnSvaInfo(UnitSvaInfo info)
    {
        var errno = !_devices.ContainsKey(info.DeviceName) || !_caps.Sva ? Errno.ENODEV : Errno.None;
        Sender.Tell(errno == Errno.None
            ? new UnitSvaInfoReply(Errno.None, MaxPasids(info.DeviceName), DoesPageRequests(info.DeviceName))
            : new UnitSvaInfoReply(errno, 0, false), Self);
    }

    /// <summary>
    /// set_dev_pasid, after iommu_attach_device_pasid's checks (pasid == IOMMU_NO_PASID or at or
    /// above max_pasids: -EINVAL; the PASID already attached: -EBUSY). Answers go through the
    /// completion queue, in the order the domain asked.
    /// </summary>
    private void OnSetDevPasid(UnitSetDevPasid set)
    {
        if (!_devices.TryGetValue(set.DeviceName, out var device) || !_caps.Sva)
        {
            Answer(new UnitDevPasidSet(Errno.ENODEV, 0));
            return;
        }
        if (set.Type != IommuDomainType.Sva || !set.Pasid.IsValid || set.Pasid.Value == 0 || set.Pasid.Value >= MaxPasids(set.DeviceName))
        {
            Answer(new UnitDevPasidSet(Errno.EINVAL, 0));
            return;
        }
        if (_pasids.ContainsKey((set.DeviceName, set.Pasid.Value)))
        {
            Answer(new UnitDevPasidSet(Errno.EBUSY, 0));
            return;
        }
        if (!_contexts.TryGetValue(set.Domain, out var context))
        {
            if (!TryAllocateDomainId(out var id))
            {
                Answer(new UnitDevPasidSet(Errno.ENOSPC, 0));
                return;
            }
            context = new DomainContext(set.Domain, IommuDomainType.Sva, id);
            _contexts.Add(set.Domain, context);
            Context.Watch(set.Domain);
        }
        else if (context.Type != IommuDomainType.Sva)
        {
            // The domain is some device's RID domain here: it is no SVA domain.
            Answer(new UnitDevPasidSet(Errno.EINVAL, 0));
            return;
        }
        // The PASID entry changes from absent to the domain: nothing tagged with it can be cached.
        _pasids.Add((set.DeviceName, set.Pasid.Value), new PasidEntry(device, set.Pasid, context, set.Mm));
        context.Devices++;
        if (Context.System.EventStream.HasSubscribers(typeof(PasidAttached)))
            Context.System.EventStream.Publish(new PasidAttached(_config.Name, set.DeviceName, set.Pasid, set.Domain));
        Answer(new UnitDevPasidSet(Errno.None, context.Id));
    }

    /// <summary>
    /// remove_dev_pasid with the flush iommu_sva_unbind_device's contract asks for ("all outstanding
    /// page requests for this PASID must have been flushed"): block the PASID, drain the page
    /// request queue, discard the PASID's partial groups, and wait until the handler has answered
    /// every group it holds; then invalidate and answer (<see cref="CompleteRemoval"/>).
    /// </summary>
    private void OnRemoveDevPasid(UnitRemoveDevPasid remove)
    {
        if (!_pasids.TryGetValue((remove.DeviceName, remove.Pasid.Value), out var entry) || !entry.Context.Ref.Equals(remove.Domain) || entry.Removing)
        {
            Answer(new UnitDevPasidRemoved(Errno.EINVAL, false));
            return;
        }
        entry.Removing = true;
        if (_walk is { } walk && walk.Job.Sva == entry) AbandonWalk();
        if (!_config.Iopf.SkipQueueDrainOnDetach) DrainPageRequests();
        DiscardPartials(entry.Device, entry.Pasid);
        if (entry.HandlerGroups > 0 && !_config.Iopf.SkipFlushOnDetach)
        {
            entry.RemovalReplyTo = Sender;
            return;
        }
        CompleteRemoval(entry, Sender);
    }

    /// <summary>
    /// The PASID entry goes: everything tagged with the PASID in the domain's id is invalidated in
    /// the IOTLB and micro-TLBs (PASID-selective) and in the device's ATC, and a domain left without
    /// entries here gives its id back after a domain-wide flush. The answer waits for the ATC.
    /// </summary>
    private void CompleteRemoval(PasidEntry entry, IActorRef replyTo)
    {
        var context = entry.Context;
        var device = entry.Device;
        _pasids.Remove((device.Name, entry.Pasid.Value));
        ForgetSvaTranslations(context.Id, entry.Pasid);
        _queue.Submit(InvalidationCommand.ForPasid(entry.Pasid, context.Id));
        var released = --context.Devices == 0;
        if (released)
        {
            _contexts.Remove(context.Ref);
            Context.Unwatch(context.Ref);
            _queue.Submit(InvalidationCommand.ForDomain(context.Id));
            if (_walk is { } walk && walk.Context == context) AbandonWalk();
        }
        _queue.Sync();
        Charge((released ? 2 : 1) * _config.Costs.InvalidationNs + _config.Costs.SyncNs);
        if (released) _domainIds.Remove(context.Id);
        if (Context.System.EventStream.HasSubscribers(typeof(PasidDetached)))
            Context.System.EventStream.Publish(new PasidDetached(_config.Name, device.Name, entry.Pasid, context.Ref));
        var completion = new PendingCompletion(replyTo, new UnitDevPasidRemoved(Errno.None, released));
        if (device.Ats && !_config.DropDeviceTlbInvalidation)
            SendAtcInvalidation(device, IotlbInvalidation.ForPasid(entry.Pasid), context.Id, completion);
        IssueCompletion(completion);
    }

    /// <summary>Whether the device has a PASID entry holding <paramref name="context"/> (its ATC may cache the domain's translations).</summary>
    private bool HasPasidEntry(UnitDevice device, DomainContext? context)
    {
        if (context is null) return false;
        foreach (var entry in _pasids.Values)
            if (entry.Device == device && entry.Context == context) return true;
        return false;
    }

    /// <summary>
    /// A device or an SVA domain actor that stopped: its PASID entries go without a flush (nobody is
    /// left to handle their faults, which are answered INVALID).
    /// </summary>
    private void ForgetPasids(Func<PasidEntry, bool> gone)
    {
        foreach (var entry in _pasids.Values.Where(gone).ToList())
        {
            entry.Removing = true;
            _pasids.Remove((entry.Device.Name, entry.Pasid.Value));
            DropFaults(entry.Device, entry.Pasid);
            if (--entry.Context.Devices > 0) continue;
            _contexts.Remove(entry.Context.Ref);
            Context.Unwatch(entry.Context.Ref);
            _queue.Submit(InvalidationCommand.ForDomain(entry.Context.Id));
            _queue.Sync();
            _domainIds.Remove(entry.Context.Id);
            ForgetSvaTranslations(entry.Context.Id, null);
            if (_walk is { } walk && walk.Context == entry.Context) AbandonWalk();
        }
    }
}
