using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Sva;

// iommu_sva_bind_device and iommu_sva_unbind_device.
public sealed partial class IommuSvaActor
{
    /// <summary>One bind in progress: the request, its caller, and whether it allocated the mm's PASID (undone if it fails).</summary>
    private sealed record BindState(SvaBindDevice Request, IActorRef ReplyTo, IActorRef Unit, MmData Mm, bool AllocatedPasid);

    /// <summary>
    /// The device's SVA limits from its unit (ENODEV: no IOMMU, no SVA, unknown device), then the
    /// mm's PASID (iommu_alloc_mm_data: EOVERFLOW for a PASID beyond the device, ENOSPC when none is
    /// free, ESRCH for an exited mm), then the bond or a domain.
    /// </summary>
    private void Bind(SvaBindDevice bind, IActorRef replyTo)
    {
        if (bind.Unit is not { } unit)
        {
            Finished(replyTo, Failed(Errno.ENODEV));
            return;
        }
        if (string.IsNullOrEmpty(bind.DeviceName) || bind.Mm is null)
        {
            Finished(replyTo, Failed(Errno.EINVAL));
            return;
        }
        Ask<UnitSvaInfoReply>(unit, new UnitSvaInfo(bind.DeviceName), info =>
        {
            if (info.Errno != Errno.None)
            {
                Finished(replyTo, Failed(info.Errno));
                return;
            }
            if (_mms.TryGetValue(bind.Mm, out var data))
            {
                if (data.Exited) Finished(replyTo, Failed(Errno.ESRCH));
                else if (data.Pasid.Value >= info.MaxPasids) Finished(replyTo, Failed(Errno.EOVERFLOW));
                else WithPasid(new BindState(bind, replyTo, unit, data, AllocatedPasid: false));
                return;
            }
            // iommu_alloc_global_pasid: ida_alloc_range(min, max_pasids - 1), here also capped by pasid-max.
            var max = info.MaxPasids == 0 ? 0 : Math.Min(_options.PasidMax, info.MaxPasids - 1);
            if (info.MaxPasids == 0 || _allocator.Allocate(_options.PasidMin, max) is not { } pasid)
            {
                Finished(replyTo, Failed(Errno.ENOSPC));
                return;
            }
            var fresh = new MmData(bind.Mm, new Pasid(pasid));
            Trace(new PasidAllocated(bind.Mm, fresh.Pasid));
            Ask<Done>(bind.Mm, new SvaMmSetPasid(fresh.Pasid), set =>
            {
                if (set.Errno != Errno.None)
                {
                    _allocator.Free(pasid);
                    Trace(new PasidFreed(bind.Mm, fresh.Pasid, BindFailed: true));
                    Finished(replyTo, Failed(set.Errno));
                    return;
                }
                _mms.Add(bind.Mm, fresh);
                _byPasid.Add(pasid, fresh);
                Context.Watch(bind.Mm);
                WithPasid(new BindState(bind, replyTo, unit, fresh, AllocatedPasid: true));
            });
        });
    }

    /// <summary>A bond of the device and the mm gains a user; otherwise the mm's domains are tried, oldest first, then a new one.</summary>
    private void WithPasid(BindState state)
    {
        if (_bondByKey.TryGetValue((state.Request.DeviceName, state.Mm.Mm), out var bond))
        {
            bond.Users++;
            _binds++;
            Trace(new SvaBondUsers(bond.Id, bond.Device, state.Mm.Mm, state.Mm.Pasid, bond.Users));
            Finished(state.ReplyTo, new SvaBond(Errno.None, bond.Id, state.Mm.Pasid, bond.Domain.Ref, bond.Users));
            return;
        }
        TryDomain(state, 0);
    }

    /// <summary>
    /// The "can attach" search over the mm's domains (list_for_each_entry(domain, sva_domains):
    /// iommu_attach_device_pasid). A per-unit domain fits only devices of its unit; a shared one fits
    /// any; a domain that fits but refuses the attach is passed over, as in the kernel.
    /// </summary>
    private void TryDomain(BindState state, int index)
    {
        var domains = state.Mm.Domains;
        while (index < domains.Count)
        {
            var domain = domains[index++];
            _attachChecks++;
            if (domain.Unit is not null && !domain.Unit.Equals(state.Unit)) continue;
            var next = index;
            Ask<SvaDomainAttached>(domain.Ref, new SvaDomainAttach(state.Request.DeviceName, state.Unit), attached =>
            {
                if (attached.Errno == Errno.None) Bound(state, domain);
                else TryDomain(state, next);
            });
            return;
        }
        NewDomain(state);
    }

    /// <summary>iommu_sva_domain_alloc + attach; a domain whose attach fails is freed again and the bind fails with the attach's errno.</summary>
    private void NewDomain(BindState state)
    {
        var unit = _options.DomainSharing == SvaDomainSharing.PerUnit ? state.Unit : null;
        var actor = Context.ActorOf(IommuSvaDomainActor.Props(state.Mm.Mm, state.Mm.Pasid, unit, _options));
        var domain = new DomainEntry(actor, state.Mm, unit);
        _domainsAllocated++;
        Trace(new SvaDomainAllocated(actor, state.Mm.Mm, state.Mm.Pasid, unit?.Path.Name));
        Ask<SvaDomainAttached>(actor, new SvaDomainAttach(state.Request.DeviceName, state.Unit), attached =>
        {
            if (attached.Errno == Errno.None)
            {
                state.Mm.Domains.Add(domain);
                _domains.Add(domain);
                Bound(state, domain);
                return;
            }
            Ask<SvaDomainFreed>(actor, new SvaDomainFree(), _ =>
            {
                Trace(new SvaDomainReleased(actor, state.Mm.Mm, 0));
                Fail(state, attached.Errno);
            });
        });
    }

    private void Bound(BindState state, DomainEntry domain)
    {
        domain.Users++;
        domain.Units[state.Unit] = domain.Units.GetValueOrDefault(state.Unit) + 1;
        var bond = new Bond(++_nextBondId, state.Request.DeviceName, state.Unit, domain);
        _bonds.Add(bond.Id, bond);
        _bondByKey.Add((bond.Device, state.Mm.Mm), bond);
        _binds++;
        Trace(new SvaDomainUsers(domain.Ref, domain.Users));
        Trace(new SvaBondUsers(bond.Id, bond.Device, state.Mm.Mm, state.Mm.Pasid, bond.Users));
        Finished(state.ReplyTo, new SvaBond(Errno.None, bond.Id, state.Mm.Pasid, domain.Ref, bond.Users));
    }

    /// <summary>A failed bind changes nothing: the PASID it allocated goes back, in the mm first.</summary>
    private void Fail(BindState state, Errno errno)
    {
        if (!state.AllocatedPasid || state.Mm.Domains.Count > 0)
        {
            Finished(state.ReplyTo, Failed(errno));
            return;
        }
        Ask<Done>(state.Mm.Mm, new SvaMmSetPasid(Pasid.Invalid), _ =>
        {
            Context.Unwatch(state.Mm.Mm);
            if (_mms.TryGetValue(state.Mm.Mm, out var data) && data == state.Mm) ForgetMm(data, bindFailed: true);
            Finished(state.ReplyTo, Failed(errno));
        });
    }

    private static SvaBond Failed(Errno errno) => new(errno, 0, Pasid.Invalid, null, 0);

    /// <summary>
    /// One user of the bond goes; the last detaches the device's PASID (the unit flushes its faults
    /// first) and, if the domain has no device left, frees it (it drops its mm reference). EINVAL
    /// for an unknown bond.
    /// </summary>
    private void Unbind(SvaUnbindDevice unbind, IActorRef replyTo)
    {
        if (!_bonds.TryGetValue(unbind.BondId, out var bond))
        {
            Finished(replyTo, new Done(Errno.EINVAL));
            return;
        }
        var mm = bond.Domain.Mm;
        if (bond.Users > 1)
        {
            bond.Users--;
            _unbinds++;
            Trace(new SvaBondUsers(bond.Id, bond.Device, mm.Mm, mm.Pasid, bond.Users));
            Finished(replyTo, Done.Ok);
            return;
        }
        var domain = bond.Domain;
        Ask<SvaDomainDetached>(domain.Ref, new SvaDomainDetach(bond.Device, bond.Unit), detached =>
        {
            if (detached.Errno != Errno.None)
            {
                Finished(replyTo, new Done(detached.Errno));
                return;
            }
            _bonds.Remove(bond.Id);
            _bondByKey.Remove((bond.Device, mm.Mm));
            _unbinds++;
            bond.Users = 0;
            Trace(new SvaBondUsers(bond.Id, bond.Device, mm.Mm, mm.Pasid, 0));
            domain.Users--;
            if (--domain.Units[bond.Unit] == 0) domain.Units.Remove(bond.Unit);
            Trace(new SvaDomainUsers(domain.Ref, domain.Users));
            if (domain.Users > 0)
            {
                Finished(replyTo, Done.Ok);
                return;
            }
            mm.Domains.Remove(domain);
            _domains.Remove(domain);
            Ask<SvaDomainFreed>(domain.Ref, new SvaDomainFree(), freed =>
            {
                Trace(new SvaDomainReleased(domain.Ref, mm.Mm, domain.Users));
                Finished(replyTo, new Done(freed.Errno));
            });
        });
    }
}
