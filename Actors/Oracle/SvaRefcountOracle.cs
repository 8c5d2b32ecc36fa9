using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// "SVA refcounts back to zero at teardown" (DESIGN.md; seed 002's lifetime rules). Along the way
/// it checks every count the SVA objects publish: a PASID is handed out to one mm at a time and
/// freed only by that mm once nothing references it; bond and domain users never go negative; a
/// domain is freed with no user and after dropping its mm reference; an mm reference is dropped
/// only by a holder that took it. At teardown no bond, domain, mm reference or PASID is left.
/// </summary>
public sealed class SvaRefcountOracle : TraceOracle
{
    private readonly Dictionary<uint, IActorRef> _pasids = [];
    private readonly Dictionary<long, (string Device, int Users)> _bonds = [];
    private readonly Dictionary<IActorRef, int> _domains = [];
    private readonly Dictionary<IActorRef, (int References, HashSet<IActorRef> Holders)> _mms = [];

    public override string Invariant => "sva-refcounts-zero-at-teardown";

    public static SvaRefcountOracle Attach(EventStream events)
    {
        var oracle = new SvaRefcountOracle();
        oracle.Subscribe(events);
        return oracle;
    }

    protected override bool Wants(object e) =>
        e is PasidAllocated or PasidFreed or SvaBondUsers or SvaDomainAllocated or SvaDomainUsers or SvaDomainReleased or MmReference;

    protected override void Check(object e)
    {
        switch (e)
        {
            case PasidAllocated a:
                if (_pasids.TryGetValue(a.Pasid.Value, out var owner))
                    Report($"PASID {a.Pasid} handed to {Name(a.Mm)} while {Name(owner)} holds it", [Name(a.Mm), Name(owner)]);
                _pasids[a.Pasid.Value] = a.Mm;
                break;
            case PasidFreed f:
                if (!_pasids.Remove(f.Pasid.Value, out var holder) || !holder.Equals(f.Mm))
                    Report($"PASID {f.Pasid} freed for {Name(f.Mm)}, which did not hold it", [Name(f.Mm)]);
                // mm_pasid_drop runs when the mm's last reference went; a failed first bind takes the
                // PASID back from a live mm, but only while no SVA domain holds it.
                if (_mms.TryGetValue(f.Mm, out var refs) && (f.BindFailed ? refs.Holders.Count > 0 : refs.References > 0))
                    Report($"PASID {f.Pasid} freed while {Name(f.Mm)} still has {refs.References} references ({refs.Holders.Count} from SVA domains)", [Name(f.Mm)]);
                break;
            case SvaBondUsers b:
                if (b.Users < 0) Report($"bond {b.BondId} of {b.Device} has {b.Users} users", [b.Device, Name(b.Mm)]);
                if (b.Users <= 0) _bonds.Remove(b.BondId);
                else _bonds[b.BondId] = (b.Device, b.Users);
                break;
            case SvaDomainAllocated d:
                _domains[d.Domain] = 0;
                break;
            case SvaDomainUsers u:
                if (u.Users < 0) Report($"SVA domain {Name(u.Domain)} has {u.Users} users", [Name(u.Domain)]);
                if (_domains.ContainsKey(u.Domain)) _domains[u.Domain] = u.Users;
                else Report($"SVA domain {Name(u.Domain)} gained users without being allocated", [Name(u.Domain)]);
                break;
            case SvaDomainReleased r:
                if (r.Users != 0) Report($"SVA domain {Name(r.Domain)} freed with {r.Users} users", [Name(r.Domain)]);
                if (_mms.TryGetValue(r.Mm, out var held) && held.Holders.Contains(r.Domain))
                    Report($"SVA domain {Name(r.Domain)} freed still holding a reference on {Name(r.Mm)}", [Name(r.Domain), Name(r.Mm)]);
                _domains.Remove(r.Domain);
                break;
            case MmReference m:
                OnMmReference(m);
                break;
        }
    }

    private void OnMmReference(MmReference m)
    {
        if (!_mms.TryGetValue(m.Mm, out var state)) state = (0, []);
        var isProcess = m.Holder.Equals(m.Mm);
        if (m.Grabbed && !state.Holders.Add(m.Holder))
            Report($"{Name(m.Holder)} took a second reference on {Name(m.Mm)}", [Name(m.Holder), Name(m.Mm)]);
        if (!m.Grabbed && !isProcess && !state.Holders.Remove(m.Holder))
            Report($"{Name(m.Holder)} dropped a reference on {Name(m.Mm)} it did not hold", [Name(m.Holder), Name(m.Mm)]);
        if (m.References < 0 || m.References < state.Holders.Count)
            Report($"{Name(m.Mm)} has {m.References} references but {state.Holders.Count} SVA domains hold one", [Name(m.Mm)]);
        _mms[m.Mm] = (m.References, state.Holders);
    }

    protected override void CheckAtTeardown()
    {
        foreach (var (id, bond) in _bonds)
            Report($"at teardown, bond {id} of {bond.Device} still has {bond.Users} users", [bond.Device]);
        foreach (var (domain, users) in _domains)
            Report($"at teardown, SVA domain {Name(domain)} was never freed ({users} users)", [Name(domain)]);
        foreach (var (mm, state) in _mms)
            if (state.References != 0)
                Report($"at teardown, {Name(mm)} still has {state.References} references ({state.Holders.Count} from SVA domains)", [Name(mm)]);
        foreach (var (pasid, mm) in _pasids)
            Report($"at teardown, PASID {pasid} is still allocated to {Name(mm)}", [Name(mm)]);
    }

    private static string Name(IActorRef actor) => actor.Path.Name;
}
