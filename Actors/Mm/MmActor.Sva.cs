using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// SVA (seed 002): the mm's PASID (mm->iommu_mm->pasid), the SVA domains that wrap it (each holds
// a reference, mmgrab, and a registered mmu_notifier, so every invalidation reaches it and waits
// for its fence), the IOMMU's walks of the CPU page table, and I/O page faults handled as the CPU's
// would be (iommu_sva_handle_mm).
//
// The walk invariant. The kernel clears a CPU PTE before it invalidates the secondary TLBs
// (ptep_clear_flush, then mmu_notifier_arch_invalidate_secondary_tlbs) and frees the page after
// both, so an IOMMU walk racing with the invalidation can only see the cleared PTE. Here the mm
// changes PTEs after the fences (see MmActor.Invalidation.cs), so the same guarantee is kept by
// the order of service instead: a walk is a request, and no request is served while an
// invalidation runs. A walk served before the invalidation started travels mm -> domain -> unit,
// the path the invalidation's IOTLB commands take after it, so its IOTLB fill is removed by them;
// a walk served after the invalidation ended sees the new PTE. Hence: no walk answer carries a
// page that an invalidation which started before the answer reached the unit is removing.
// MmOptions.ServeSvaWalksDuringInvalidation breaks this on purpose.
public sealed partial class MmActor
{
    private Pasid _pasid = Pasid.Invalid;
    private IActorRef? _svaCore;
    private readonly List<IActorRef> _svaDomains = [];
    // An SVA domain took a reference once: the process's own reference is then published when it goes.
    private bool _svaReferenced;

    /// <summary>mm_count as SVA sees it: the process's own reference until exit, plus one per SVA domain.</summary>
    private int SvaReferences => (_exited ? 0 : 1) + _svaDomains.Count;

    /// <summary>The x86-64 4-level CPU page table a 48-bit walk reads.</summary>
    private const int CpuPageTableLevels = 4;

    /// <summary>Pages of PTEs a walk reads at a time.</summary>
    private const int WalkChunkPages = 16;

    private void ReceiveSva()
    {
        Receive<SvaMmSetPasid>(OnSetPasid);
        Receive<SvaMmDrop>(_ => OnSvaDrop(Sender));
        Receive<GetMmSvaState>(_ => Sender.Tell(new MmSvaState(Errno.None, _pasid, _svaDomains.Count, SvaReferences, _exited), Self));
        // Bug injection: walks jump the queue, and read the PTE an invalidation is removing.
        if (_options.ServeSvaWalksDuringInvalidation) Receive<SvaWalk>(w => OnSvaWalk(w, Sender));
    }

    /// <summary>iommu_alloc_mm_data's store of mm->iommu_mm; a different PASID is EBUSY, an exited mm ESRCH.</summary>
    private void OnSetPasid(SvaMmSetPasid set)
    {
        if (!set.Pasid.IsValid)
        {
            // A failed first bind takes its PASID back.
            if (_svaDomains.Count == 0 && Sender.Equals(_svaCore))
            {
                _pasid = Pasid.Invalid;
                _svaCore = null;
            }
            Sender.Tell(Done.Ok, Self);
            return;
        }
        var errno = _exited ? Errno.ESRCH : _pasid.IsValid && _pasid != set.Pasid ? Errno.EBUSY : Errno.None;
        if (errno == Errno.None)
        {
            _pasid = set.Pasid;
            _svaCore = Sender;
        }
        Sender.Tell(new Done(errno), Self);
    }

    /// <summary>mmgrab + mmu_notifier_register for an SVA domain; served between invalidations, so the domain never sees half of one.</summary>
    private void OnSvaGrab(IActorRef domain)
    {
        if (_exited || _svaDomains.Contains(domain))
        {
            domain.Tell(new Done(_exited ? Errno.ESRCH : Errno.EEXIST), Self);
            return;
        }
        _svaDomains.Add(domain);
        _svaReferenced = true;
        Context.Watch(domain);
        if (Tracing) Publish(new MmReference(Self, domain, Grabbed: true, SvaReferences));
        domain.Tell(Done.Ok, Self);
    }

    /// <summary>mmu_notifier_unregister + mmdrop: the domain owes no fence any more; the last reference frees the PASID.</summary>
    private void OnSvaDrop(IActorRef domain)
    {
        if (!ForgetSvaDomain(domain))
        {
            domain.Tell(new Done(Errno.EINVAL), Self);
            return;
        }
        Context.Unwatch(domain);
        domain.Tell(Done.Ok, Self);
    }

    /// <summary>Removes an SVA domain (dropped, or stopped); false if it was none of ours.</summary>
    private bool ForgetSvaDomain(IActorRef domain)
    {
        if (!_svaDomains.Remove(domain)) return false;
        if (Tracing) Publish(new MmReference(Self, domain, Grabbed: false, SvaReferences));
        ForgetReceiver(domain);
        DropPasidIfUnreferenced();
        return true;
    }

    /// <summary>exit_mmap is done: the process's reference goes; the SVA core learns that no bind may take the mm any more.</summary>
    private void OnSvaExit()
    {
        if (!_pasid.IsValid && !_svaReferenced) return;
        if (Tracing) Publish(new MmReference(Self, Self, Grabbed: false, SvaReferences));
        _svaCore?.Tell(new SvaMmExited(Self, _pasid), Self);
        DropPasidIfUnreferenced();
    }

    /// <summary>__mmdrop -> mm_pasid_drop: with no reference left the PASID goes back to the SVA core.</summary>
    private void DropPasidIfUnreferenced()
    {
        if (SvaReferences > 0 || !_pasid.IsValid) return;
        _svaCore?.Tell(new SvaMmPasidDrop(Self, _pasid), Self);
        _pasid = Pasid.Invalid;
        _svaCore = null;
    }

    /// <summary>
    /// The IOMMU walking the CPU page table (no fault-in): each page until the first that is not
    /// present for the device (no VMA or no read permission, pte_none, a device-private or
    /// device-exclusive entry: EFAULT) or, for a write, not writable (the zero page, copy-on-write,
    /// a read-only VMA: EPERM).
    /// </summary>
    private void OnSvaWalk(SvaWalk walk, IActorRef replyTo)
    {
        var translations = new List<Translation>(Math.Min(walk.Pages, 64));
        var generations = new List<int>(translations.Capacity);
        var errno = Errno.None;
        var start = walk.Address.PageAlignDown.Value;
        var valid = walk.Pages > 0 && start < _options.TaskSize && (ulong)walk.Pages <= (_options.TaskSize - start) >> PageShift;
        CpuPte?[] ptes = [];
        for (var i = 0; i < walk.Pages; i++)
        {
            var addr = start + ((ulong)i << PageShift);
            // The walk stops at the first missing page, so the table is read a few pages at a time.
            if (valid && i % WalkChunkPages == 0)
                ptes = ReadPtes(new AddressRange(addr, addr + ((ulong)Math.Min(WalkChunkPages, walk.Pages - i) << PageShift)));
            var vma = valid ? FindVma(addr) : null;
            var pte = valid ? ptes[i % WalkChunkPages] : null;
            if (vma is not { CanRead: true } || pte is not { Kind: CpuPteKind.Frame or CpuPteKind.Zero } p)
            {
                errno = Errno.EFAULT;
                translations.Add(new Translation(errno, default, PageBytes, IommuProt.None, CpuPageTableLevels));
                generations.Add(0);
                break;
            }
            var writable = p.Kind == CpuPteKind.Frame && p.Writable && vma.CanWrite;
            var prot = IommuProt.Read | (writable ? IommuProt.Write : IommuProt.None);
            if (walk.Write && !writable)
            {
                errno = Errno.EPERM;
                translations.Add(new Translation(errno, default, PageBytes, prot, CpuPageTableLevels));
                generations.Add(0);
                break;
            }
            translations.Add(new Translation(Errno.None, p.Pfn.ToPhys(), PageBytes, prot, CpuPageTableLevels));
            generations.Add(_memory.PageGeneration(p.Pfn));
        }
        replyTo.Tell(new SvaWalked(errno, walk.Cookie, walk.Address, _sequence, translations, generations), Self);
    }

    /// <summary>
    /// iommu_sva_handle_mm for each fault of a group in order, errors sticky: an exited mm
    /// (mmget_not_zero fails), no VMA, or an access the VMA does not permit is INVALID; otherwise
    /// the page is faulted in as handle_mm_fault would (a copy-on-write break or a page taken back
    /// from a device runs under its invalidation first), and an allocation failure is INVALID.
    /// </summary>
    private void OnSvaHandleFaults(SvaHandleFaults handle, IActorRef replyTo) => HandleFaultsFrom(handle, 0, replyTo);

    private void HandleFaultsFrom(SvaHandleFaults handle, int index, IActorRef replyTo)
    {
        for (var i = index; i < handle.Faults.Count; i++)
        {
            var fault = handle.Faults[i];
            var vma = _exited ? null : FindVma(fault.Address.Value);
            if (vma is not { CanRead: true } || (fault.Write && !vma.CanWrite))
            {
                replyTo.Tell(new SvaFaultsHandled(handle.Cookie, PageResponseCode.Invalid), Self);
                return;
            }
            var vpn = Vpn(fault.Address.Value);
            if (FaultInvalidation(vpn, vma, fault.Write, device: null) is not { } evt)
            {
                if (FaultOnePage(vpn, vma, fault.Write) == Errno.None) continue;
                replyTo.Tell(new SvaFaultsHandled(handle.Cookie, PageResponseCode.Invalid), Self);
                return;
            }
            var next = i + 1;
            var err = Errno.None;
            var page = new AddressRange(AddrOf(vpn), AddrOf(vpn) + PageBytes);
            Invalidate([new InvalidationRange(page, evt)], () => err = FaultOnePage(vpn, vma, fault.Write), () =>
            {
                if (err == Errno.None) HandleFaultsFrom(handle, next, replyTo);
                else replyTo.Tell(new SvaFaultsHandled(handle.Cookie, PageResponseCode.Invalid), Self);
            });
            return;
        }
        replyTo.Tell(new SvaFaultsHandled(handle.Cookie, PageResponseCode.Success), Self);
    }

    /// <summary>handle_mm_fault for one page whose VMA permits the access: all or nothing.</summary>
    private Errno FaultOnePage(ulong vpn, Vma vma, bool write)
    {
        var journal = new PteJournal();
        var err = FaultIn(vpn, vma, write, journal);
        if (err != Errno.None)
        {
            RollbackJournal(journal);
            return err;
        }
        CommitJournal(journal);
        return Errno.None;
    }
}
