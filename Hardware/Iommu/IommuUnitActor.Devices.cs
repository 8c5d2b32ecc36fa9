using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

// Devices behind the unit and the stream-table entries that attach them to domains, with the
// domain ids the unit hands out (Intel's per-IOMMU domain_ids bitmap, the SMMU's ASID/VMID).
public sealed partial class IommuUnitActor
{
    /// <summary>A probed device: its micro-TLB, whether it has an ATC, and its STE (null: DMA blocked).</summary>
    private sealed class UnitDevice(string name, IActorRef actor, bool ats, MicroTlb? microTlb)
    {
        public string Name { get; } = name;
        public IActorRef Actor { get; } = actor;
        public bool Ats { get; } = ats;
        public MicroTlb? MicroTlb { get; } = microTlb;
        public DomainContext? Domain { get; set; }
    }

    /// <summary>A domain with at least one device attached on this unit, and its domain id (0 for non-paging types).</summary>
    private sealed class DomainContext(IActorRef domain, IommuDomainType type, uint id)
    {
        public IActorRef Ref { get; } = domain;
        public IommuDomainType Type { get; } = type;
        public uint Id { get; } = id;
        public int Devices { get; set; }
        public bool IsPaging => Type is IommuDomainType.Unmanaged or IommuDomainType.Dma or IommuDomainType.DmaFlushQueue;
        /// <summary>The domain's entries are tagged with its id (paging domains, and SVA domains through their PASID entries).</summary>
        public bool HasDomainId => IsPaging || Type == IommuDomainType.Sva;
    }

    private readonly Dictionary<string, UnitDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, DomainContext> _contexts = [];
    private readonly SortedSet<uint> _domainIds = [];

    /// <summary>iommu_probe_device: the unit learns the device and gives it a micro-TLB.</summary>
    private void OnProbeDevice(ProbeDevice probe)
    {
        if (_devices.TryGetValue(probe.DeviceName, out var known))
        {
            Sender.Tell(known.Actor.Equals(probe.Device) ? Done.Ok : new Done(Errno.EEXIST), Self);
            return;
        }
        var microTlb = _caps.CreateMicroTlb();
        if (microTlb is not null) _queue.Attach(microTlb);
        _devices.Add(probe.DeviceName, new UnitDevice(probe.DeviceName, probe.Device, probe.Ats, microTlb));
        RecordDeviceSva(probe);
        Context.Watch(probe.Device);
        Sender.Tell(Done.Ok, Self);
    }

    /// <summary>
    /// The driver's attach_dev with its compatibility checks (arm_smmu_attach_dev comparing the
    /// domain's SMMU with the device's, Intel's paging_domain_compatible), then the STE install.
    /// </summary>
    private void OnAttachDevice(UnitAttachDevice attach)
    {
        if (!_devices.TryGetValue(attach.DeviceName, out var device))
        {
            Answer(new UnitDeviceAttached(Errno.ENODEV, 0));
            return;
        }
        var fit = CanAttach(attach.Type, attach.Geometry);
        if (fit != Errno.None)
        {
            Answer(new UnitDeviceAttached(fit, 0));
            return;
        }
        if (device.Domain is { } current)
        {
            // Attaching the domain the device is in is a no-op; another one must be detached first
            // (iommu_attach_device: -EBUSY while the group is not in its default domain).
            Answer(new UnitDeviceAttached(current.Ref.Equals(attach.Domain) ? Errno.None : Errno.EBUSY, current.Id));
            return;
        }
        if (!_contexts.TryGetValue(attach.Domain, out var context))
        {
            uint id = 0;
            if (IsPagingType(attach.Type) && !TryAllocateDomainId(out id))
            {
                Answer(new UnitDeviceAttached(Errno.ENOSPC, 0));
                return;
            }
            context = new DomainContext(attach.Domain, attach.Type, id);
            _contexts.Add(attach.Domain, context);
            Context.Watch(attach.Domain);
        }
        // The STE changes from abort to the domain: nothing of the device can be cached yet, so
        // the answer needs no invalidation.
        device.Domain = context;
        context.Devices++;
        Answer(new UnitDeviceAttached(Errno.None, context.Id));
    }

    /// <summary>Blocks the device's DMA; the domain id goes when its last device does.</summary>
    private void OnDetachDevice(UnitDetachDevice detach)
    {
        if (!_devices.TryGetValue(detach.DeviceName, out var device) || device.Domain is not { } context || !context.Ref.Equals(detach.Domain))
        {
            Answer(new UnitDeviceDetached(Errno.EINVAL, false));
            return;
        }
        var released = context.Devices == 1 && context.IsPaging;
        var completion = new PendingCompletion(Sender, new UnitDeviceDetached(Errno.None, released));
        LeaveDomain(device, completion);
        IssueCompletion(completion);
    }

    /// <summary>
    /// Answers an attach or detach through the completion queue, errors included, so that a
    /// domain gets its answers in the order it asked even when an earlier one waits for an ATC.
    /// </summary>
    private void Answer(object reply) => IssueCompletion(new PendingCompletion(Sender, reply));

    /// <summary>
    /// Takes the device out of its current domain: its micro-TLB is emptied at once (the STE
    /// change invalidates the configuration caches), its ATC is invalidated with an ATS request
    /// the completion waits for, and a domain left without devices gives its id back after a
    /// domain-wide IOTLB invalidation and sync, so a reused id finds no stale entry.
    /// </summary>
    private void LeaveDomain(UnitDevice device, PendingCompletion completion)
    {
        if (device.Domain is not { } old) return;
        device.Domain = null;
        device.MicroTlb?.InvalidateAll();
        if (device.Ats && !_config.DropDeviceTlbInvalidation)
            SendAtcInvalidation(device, IotlbInvalidation.Global, 0, completion);
        if (--old.Devices > 0) return;
        _contexts.Remove(old.Ref);
        Context.Unwatch(old.Ref);
        if (!old.IsPaging) return;
        _queue.Submit(InvalidationCommand.ForDomain(old.Id));
        _queue.Sync();
        Charge(_config.Costs.InvalidationNs + _config.Costs.SyncNs);
        _domainIds.Remove(old.Id);
        if (_walk is { } walk && walk.Context == old) AbandonWalk();
    }

    /// <summary>Intel's paging_domain_compatible, reduced to what the model's units differ in.</summary>
    private Errno CanAttach(IommuDomainType type, IommuDomainGeometry geometry)
    {
        if (type is IommuDomainType.Blocked or IommuDomainType.Identity) return Errno.None;
        // An SVA domain is attached to a PASID of a device (set_dev_pasid), never as its domain.
        if (!IsPagingType(type)) return Errno.EINVAL;
        if (geometry.Format != _caps.PageTableFormat) return Errno.EINVAL;
        if ((geometry.PageSizes & ~_caps.PageSizes) != 0) return Errno.EINVAL;
        if (geometry.AddressBits > _caps.InputAddressBits) return Errno.EINVAL;
        if (geometry.DirtyTracking && !_caps.DirtyTracking) return Errno.EINVAL;
        return Errno.None;
    }

    private static bool IsPagingType(IommuDomainType type) =>
        type is IommuDomainType.Unmanaged or IommuDomainType.Dma or IommuDomainType.DmaFlushQueue;

    /// <summary>The lowest free id from 1 (0 is reserved, as VT-d reserves DID 0 and the SMMU ASID 0).</summary>
    private bool TryAllocateDomainId(out uint id)
    {
        id = 1;
        foreach (var used in _domainIds)
        {
            if (used != id) break;
            id++;
        }
        if (id > MaxDomainIds)
        {
            id = 0;
            return false;
        }
        _domainIds.Add(id);
        return true;
    }

    /// <summary>VT-d's 16-bit domain ids (cap_ndoms up to 64K); SMMUv3 ASIDs are 16-bit too.</summary>
    private const uint MaxDomainIds = 65535;

    /// <summary>A domain actor that stopped blocks its devices; a device that stopped is forgotten, its pending ATC acknowledgements with it.</summary>
    private void OnTerminated(Terminated terminated)
    {
        var who = terminated.ActorRef;
        ForgetPasids(e => e.Context.Ref.Equals(who) || e.Device.Actor.Equals(who));
        if (_contexts.TryGetValue(who, out var context))
        {
            var completion = new PendingCompletion(null, null);
            foreach (var device in _devices.Values.Where(d => d.Domain == context).ToList())
                LeaveDomain(device, completion);
            IssueCompletion(completion);
        }
        foreach (var device in _devices.Values.Where(d => d.Actor.Equals(who)).ToList())
        {
            var completion = new PendingCompletion(null, null);
            LeaveDomain(device, completion);
            IssueCompletion(completion);
            _devices.Remove(device.Name);
            if (device.MicroTlb is { } tlb) _queue.Detach(tlb);
            ForgetAtcAcknowledgements(device.Name);
        }
    }
}
