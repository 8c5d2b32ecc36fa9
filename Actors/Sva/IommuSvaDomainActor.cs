using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;

namespace IommuSim.Actors.Sva;

/// <summary>
/// An IOMMU_DOMAIN_SVA domain (seed 002): it shares the CPU page table of one mm by the mm's PASID.
/// It owns no I/O page table: a unit's walker asks it (<see cref="TranslateRange"/>) and it asks the
/// mm (<see cref="SvaWalk"/>), forwarding the answer to the unit. It holds a reference on the mm
/// and a registered notifier from its first attach until it is freed, so every invalidation of the
/// mm reaches it; it invalidates its PASID on every unit that may cache it and fences only after
/// their syncs completed. It is the fault handler of its PASID (iommu_sva_iopf_handler): a fault
/// group goes to the mm, the answer back to the unit.
/// </summary>
/// <remarks>
/// With <c>sva.domain-sharing = per-unit</c> the domain belongs to one unit and refuses a device of
/// another (EINVAL, as arm_smmu_attach_dev refuses a domain of another SMMU); with <c>shared</c> it
/// spans every unit its devices sit behind. The SVA core sends it one attach, detach or free at a
/// time (iommu_sva_lock).
/// </remarks>
public sealed partial class IommuSvaDomainActor : ReceiveActor
{
    private readonly IActorRef _mm;
    private readonly Pasid _pasid;
    private readonly IActorRef? _unit;
    private readonly SvaOptions _options;

    private enum Change
    {
        Grab,
        Attach,
        Detach,
        Drop,
    }

    /// <summary>The one membership change in flight: who asked, for which device and unit.</summary>
    private sealed record PendingChange(Change Kind, IActorRef ReplyTo, string Device, IActorRef? Unit);

    private PendingChange? _pending;
    private bool _grabbed;
    private readonly HashSet<(string Device, IActorRef Unit)> _devices = [];
    // Devices attached per unit: the units that may hold the PASID's translations.
    private readonly Dictionary<IActorRef, int> _units = [];

    private long _nextCookie;
    private readonly Dictionary<long, IActorRef> _walks = [];
    private readonly Dictionary<long, (IActorRef Unit, IopfGroup Group)> _faults = [];
    private long _walksForwarded;
    private long _faultGroups;

    /// <param name="unit">The unit the domain belongs to; null for a domain shared by every unit.</param>
    public IommuSvaDomainActor(IActorRef mm, Pasid pasid, IActorRef? unit, SvaOptions options)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(options);
        if (!pasid.IsValid) throw new ArgumentException("an SVA domain needs the mm's PASID", nameof(pasid));
        _mm = mm;
        _pasid = pasid;
        _unit = unit;
        _options = options;

        Receive<SvaDomainAttach>(OnAttach);
        Receive<SvaDomainDetach>(OnDetach);
        Receive<SvaDomainFree>(_ => OnFree());
        Receive<Done>(OnMmAnswer);
        Receive<UnitDevPasidSet>(OnPasidSet);
        Receive<UnitDevPasidRemoved>(OnPasidRemoved);
        Receive<MmuInvalidate>(OnMmuInvalidate);
        Receive<IotlbInvalidated>(OnIotlbInvalidated);
        Receive<TranslateRange>(OnTranslateRange);
        Receive<SvaWalked>(OnWalked);
        Receive<IopfGroup>(OnIopfGroup);
        Receive<SvaFaultsHandled>(OnFaultsHandled);
        Receive<GetSvaDomainStats>(_ => Sender.Tell(Stats(), Self));
    }

    public static Props Props(IActorRef mm, Pasid pasid, IActorRef? unit, SvaOptions? options = null) =>
        Runtime.Props.Create(() => new IommuSvaDomainActor(mm, pasid, unit, options ?? SvaOptions.Default));

    /// <summary>
    /// iommu_attach_device_pasid on this domain: the "can attach" check (a per-unit domain takes
    /// devices of its unit only), the mm reference on the first attach, then the unit's set_dev_pasid.
    /// </summary>
    private void OnAttach(SvaDomainAttach attach)
    {
        if (_pending is not null) throw new InvalidOperationException("the SVA core sends one change at a time");
        if (_unit is not null && !_unit.Equals(attach.Unit))
        {
            Sender.Tell(new SvaDomainAttached(Errno.EINVAL), Self);
            return;
        }
        _pending = new PendingChange(_grabbed ? Change.Attach : Change.Grab, Sender, attach.DeviceName, attach.Unit);
        if (_grabbed) SetDevPasid(_pending);
        else _mm.Tell(new SvaMmGrab(), Self);
    }

    private void SetDevPasid(PendingChange change) =>
        change.Unit!.Tell(new UnitSetDevPasid(change.Device, _pasid, Self, _mm), Self);

    private void OnDetach(SvaDomainDetach detach)
    {
        if (_pending is not null) throw new InvalidOperationException("the SVA core sends one change at a time");
        if (!_devices.Contains((detach.DeviceName, detach.Unit)))
        {
            Sender.Tell(new SvaDomainDetached(Errno.EINVAL), Self);
            return;
        }
        _pending = new PendingChange(Change.Detach, Sender, detach.DeviceName, detach.Unit);
        detach.Unit.Tell(new UnitRemoveDevPasid(detach.DeviceName, _pasid, Self), Self);
    }

    /// <summary>iommu_domain_free: EBUSY with devices still attached; otherwise the notifier and the mm reference go, then the domain stops.</summary>
    private void OnFree()
    {
        if (_pending is not null) throw new InvalidOperationException("the SVA core sends one change at a time");
        if (_devices.Count > 0)
        {
            Sender.Tell(new SvaDomainFreed(Errno.EBUSY), Self);
            return;
        }
        if (!_grabbed)
        {
            Sender.Tell(new SvaDomainFreed(Errno.None), Self);
            Context.Stop(Self);
            return;
        }
        _pending = new PendingChange(Change.Drop, Sender, "", null);
        _mm.Tell(new SvaMmDrop(), Self);
    }

    /// <summary>The mm's answer to a grab or a drop.</summary>
    private void OnMmAnswer(Done done)
    {
        if (_pending is not { Kind: Change.Grab or Change.Drop } change) return;
        if (change.Kind == Change.Drop)
        {
            _pending = null;
            _grabbed = false;
            change.ReplyTo.Tell(new SvaDomainFreed(done.Errno), Self);
            Context.Stop(Self);
            return;
        }
        if (done.Errno != Errno.None)
        {
            _pending = null;
            change.ReplyTo.Tell(new SvaDomainAttached(done.Errno), Self);
            return;
        }
        _grabbed = true;
        _pending = change with { Kind = Change.Attach };
        SetDevPasid(_pending);
    }

    private void OnPasidSet(UnitDevPasidSet set)
    {
        if (_pending is not { Kind: Change.Attach } change) return;
        _pending = null;
        if (set.Errno == Errno.None)
        {
            _devices.Add((change.Device, change.Unit!));
            _units[change.Unit!] = _units.GetValueOrDefault(change.Unit!) + 1;
        }
        change.ReplyTo.Tell(new SvaDomainAttached(set.Errno), Self);
    }

    private void OnPasidRemoved(UnitDevPasidRemoved removed)
    {
        if (_pending is not { Kind: Change.Detach } change) return;
        _pending = null;
        if (removed.Errno == Errno.None)
        {
            _devices.Remove((change.Device, change.Unit!));
            if (--_units[change.Unit!] == 0) _units.Remove(change.Unit!);
        }
        change.ReplyTo.Tell(new SvaDomainDetached(removed.Errno), Self);
    }

    /// <summary>A unit's walker missed: the walk is the mm's (the domain shares its CPU page table).</summary>
    private void OnTranslateRange(TranslateRange walk)
    {
        var cookie = ++_nextCookie;
        _walks.Add(cookie, Sender);
        _walksForwarded++;
        _mm.Tell(new SvaWalk(cookie, new VirtAddr(walk.Iova.Value), walk.Pages, walk.Write), Self);
    }

    /// <summary>
    /// The mm's walk goes to the unit that asked. It travels mm -> domain -> unit, the path of this
    /// domain's invalidations: a walk the mm answered before an invalidation started reaches the
    /// unit before that invalidation's commands do.
    /// </summary>
    private void OnWalked(SvaWalked walked)
    {
        if (_walks.Remove(walked.Cookie, out var unit)) unit.Tell(walked, Self);
    }

    /// <summary>iommu_sva_iopf_handler: the group goes to the mm (iommu_sva_handle_iopf's work item).</summary>
    private void OnIopfGroup(IopfGroup group)
    {
        var cookie = ++_nextCookie;
        _faults.Add(cookie, (Sender, group));
        _faultGroups++;
        _mm.Tell(new SvaHandleFaults(cookie, group.Faults), Self);
    }

    /// <summary>iopf_group_response: the mm's verdict goes back to the unit that reported the group.</summary>
    private void OnFaultsHandled(SvaFaultsHandled handled)
    {
        if (!_faults.Remove(handled.Cookie, out var fault)) return;
        fault.Unit.Tell(new IopfGroupResponse(fault.Group.DeviceName, fault.Group.Pasid, fault.Group.GroupId, handled.Code), Self);
    }

    private SvaDomainStats Stats() => new(Errno.None, _pasid, _devices.Count, _units.Count, _invalidations, _commands, _pasidWide, _syncs,
        _walksForwarded, _faultGroups);
}
