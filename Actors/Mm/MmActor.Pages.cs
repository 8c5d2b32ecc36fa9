using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Mm;

// The CPU page table: entry changes with an undo journal, page references, and the fault
// handler (handle_mm_fault: do_anonymous_page, do_wp_page, do_swap_page for device-private
// and device-exclusive entries).
public sealed partial class MmActor
{
    private void SetPte(ulong vpn, CpuPte pte, PteJournal? journal)
    {
        var old = _pt.Exchange(vpn, pte);
        journal?.Changed(vpn, old);
    }

    private void RemovePte(ulong vpn, PteJournal? journal)
    {
        if (!_pt.Remove(vpn, out var old)) return;
        journal?.Changed(vpn, old);
    }

    // Records the entry being replaced without looking it up again (the caller read it).
    private void ReplacePte(ulong vpn, CpuPte? old, CpuPte pte, PteJournal journal)
    {
        journal.Changed(vpn, old);
        _pt.Set(vpn, pte);
    }

    /// <summary>A page from the journal's reserve if it has one left, else alloc_page().</summary>
    private Errno AllocSystemPage(out Pfn pfn, PteJournal journal)
    {
        if (journal.TryTakeReserved(out pfn)) return Errno.None;
        var err = _memory.AllocPage(out pfn);
        if (err == Errno.None) journal.Allocated(pfn);
        return err;
    }

    /// <summary>
    /// alloc_pages_bulk() of <paramref name="count"/> pages into the journal's reserve, under one
    /// lock of the pool instead of one per page. All or nothing: ENOMEM puts back what it got.
    /// </summary>
    private Errno ReserveSystemPages(int count, PteJournal journal)
    {
        var buffer = journal.ReserveBuffer(count);
        var got = _memory.AllocPages(buffer);
        if (got == count)
        {
            journal.Reserve(count);
            return Errno.None;
        }
        foreach (var pfn in buffer[..got]) _memory.PutPage(pfn);
        return Errno.ENOMEM;
    }

    /// <summary>The zero page (ZERO_PAGE), allocated on first use; the mm keeps one reference on it.</summary>
    private Errno EnsureZeroPage(out Pfn zero)
    {
        if (_zeroPage is { } z)
        {
            zero = z;
            return Errno.None;
        }
        var err = _memory.AllocPage(out zero);
        if (err == Errno.None) _zeroPage = zero;
        return err;
    }

    /// <summary>
    /// put_page(); publishes <see cref="PageFreed"/> when this put freed the page and
    /// <paramref name="trace"/> (the caller's <see cref="Tracing"/>, read once per operation).
    /// </summary>
    private void PutPage(Pfn pfn, bool trace)
    {
        if (!trace)
        {
            _memory.PutPage(pfn);
            return;
        }
        var generation = _memory.PageGeneration(pfn);
        _memory.PutPage(pfn);
        if (_memory.IsPageLive(pfn) && _memory.PageGeneration(pfn) == generation) return;
        Publish(new PageFreed(Self, pfn, generation));
    }

    /// <summary>Puts the page an entry holds (zap_pte_range for one entry).</summary>
    private void ReleasePte(CpuPte pte, bool trace)
    {
        if (pte.HoldsReference) PutPage(pte.Pfn, trace);
    }

    /// <summary>The operation succeeded: put the pages it replaced.</summary>
    private void CommitJournal(PteJournal journal)
    {
        // Reserved pages nobody took were never mapped: back to the pool, untraced like a rollback.
        foreach (var pfn in journal.UntakenReserve) _memory.PutPage(pfn);
        if (journal.DeferredPuts.Count == 0) return;
        var trace = Tracing;
        foreach (var pfn in journal.DeferredPuts) PutPage(pfn, trace);
    }

    /// <summary>The operation failed: restore every entry it changed and free the pages it allocated.</summary>
    private void RollbackJournal(PteJournal journal)
    {
        for (var i = journal.Changes.Count - 1; i >= 0; i--)
        {
            var (vpn, old) = journal.Changes[i];
            if (old is { } o) _pt.Set(vpn, o);
            else _pt.Remove(vpn);
        }
        foreach (var pfn in journal.AllocatedPages) _memory.PutPage(pfn);
        foreach (var pfn in journal.UntakenReserve) _memory.PutPage(pfn);
    }

    /// <summary>
    /// Whether faulting this page in (for <paramref name="write"/>, on behalf of
    /// <paramref name="device"/>, null for the CPU) replaces or revokes a page a device may have
    /// mapped, so that it must happen under an invalidation: a copy-on-write break changes the
    /// pfn (do_wp_page's MMU_NOTIFY_CLEAR), a device-private page another device (or the CPU)
    /// needs migrates back, a device-exclusive entry is restored. Null if it needs none.
    /// </summary>
    private InvalidationEvent? FaultInvalidation(ulong vpn, Vma vma, bool write, string? device) =>
        FaultInvalidation(_pt.Get(vpn), vma, write, device);

    /// <summary><see cref="FaultInvalidation(ulong, Vma, bool, string?)"/> for an entry the caller looked up (null: pte_none).</summary>
    private InvalidationEvent? FaultInvalidation(CpuPte? current, Vma vma, bool write, string? device)
    {
        if (current is not { } pte) return null;
        switch (pte.Kind)
        {
            case CpuPteKind.Zero:
                return write ? InvalidationEvent.Munmap : null;
            case CpuPteKind.Frame:
                return write && !pte.Writable && !vma.IsShared && _memory.PageRefCount(pte.Pfn) > 1 ? InvalidationEvent.Munmap : null;
            case CpuPteKind.DevicePrivate:
                return device != null && device == pte.Owner && (!write || pte.Writable) ? null : InvalidationEvent.Migrate;
            default:
                return InvalidationEvent.Migrate;
        }
    }

    /// <summary>
    /// handle_mm_fault() for one page of <paramref name="vma"/>, whose permissions the caller
    /// checked: maps the zero page for a read of missing private memory, allocates a zeroed page
    /// otherwise, breaks copy-on-write for a write (reusing a page nobody else holds, as
    /// do_wp_page's wp_can_reuse_anon_folio), migrates a device-private page back to RAM, restores
    /// a device-exclusive entry. A change that <see cref="FaultInvalidation"/> flags must run
    /// under that invalidation. ENOMEM leaves the journal to roll back.
    /// </summary>
    private Errno FaultIn(ulong vpn, Vma vma, bool write, PteJournal journal) =>
        FaultIn(vpn, vma, write, journal, _pt.Get(vpn), out _);

    /// <summary>
    /// <see cref="FaultIn(ulong, Vma, bool, PteJournal)"/> for the entry the caller looked up
    /// (<paramref name="current"/>, null for pte_none), so the table is searched once per page;
    /// <paramref name="result"/> is the entry the page has afterwards. Fresh pages come from the
    /// journal's reserve when the caller filled it (<see cref="FreshPagesNeeded"/>).
    /// </summary>
    private Errno FaultIn(ulong vpn, Vma vma, bool write, PteJournal journal, CpuPte? current, out CpuPte result)
    {
        if (current is not { } pte)
        {
            Errno err;
            if (!write && !vma.IsShared)
            {
                err = EnsureZeroPage(out var zero);
                result = new CpuPte(CpuPteKind.Zero, zero, false);
                if (err == Errno.None) ReplacePte(vpn, null, result, journal);
                return err;
            }
            err = AllocSystemPage(out var fresh, journal);
            result = CpuPte.Frame(fresh, vma.IsShared ? vma.CanWrite : true);
            if (err == Errno.None) ReplacePte(vpn, null, result, journal);
            return err;
        }
        result = pte;
        switch (pte.Kind)
        {
            case CpuPteKind.Zero:
            {
                if (!write) return Errno.None;
                var err = AllocSystemPage(out var fresh, journal);
                if (err != Errno.None) return err;
                result = CpuPte.Frame(fresh, true);
                ReplacePte(vpn, pte, result, journal);
                return Errno.None;
            }
            case CpuPteKind.DevicePrivate:
            {
                // do_swap_page -> pgmap->ops->migrate_to_ram (dmirror_devmem_fault): copy back.
                var err = AllocSystemPage(out var fresh, journal);
                if (err != Errno.None) return err;
                _memory.CopyPage(fresh, pte.Pfn);
                journal.PutLater(pte.Pfn);
                result = CpuPte.Frame(fresh, pte.Writable);
                ReplacePte(vpn, pte, result, journal);
                break;
            }
            case CpuPteKind.Exclusive:
                // remove_device_exclusive_entry / restore_exclusive_pte: the pte comes back writable,
                // as make_device_exclusive took it for write.
                result = CpuPte.Frame(pte.Pfn, true);
                ReplacePte(vpn, pte, result, journal);
                break;
        }
        pte = result;
        if (!write || pte.Writable) return Errno.None;
        if (vma.IsShared || _memory.PageRefCount(pte.Pfn) == 1)
        {
            result = CpuPte.Frame(pte.Pfn, true);
            ReplacePte(vpn, pte, result, journal);
            return Errno.None;
        }
        var copyErr = AllocSystemPage(out var copy, journal);
        if (copyErr != Errno.None) return copyErr;
        _memory.CopyPage(copy, pte.Pfn);
        journal.PutLater(pte.Pfn);
        result = CpuPte.Frame(copy, true);
        ReplacePte(vpn, pte, result, journal);
        return Errno.None;
    }

    /// <summary>
    /// How many fresh system pages <see cref="FaultIn(ulong, Vma, bool, PteJournal, CpuPte?, out CpuPte)"/>
    /// allocates for this entry, so a range fault can allocate them in one bulk call: one for a
    /// missing page that does not get the zero page, a write to the zero page, a device-private
    /// page coming back, or a copy-on-write break; none otherwise. Reference counts cannot change
    /// in between, as the fault defers its puts to the commit.
    /// </summary>
    private int FreshPagesNeeded(CpuPte? current, Vma vma, bool write)
    {
        if (current is not { } pte) return write || vma.IsShared ? 1 : 0;
        return pte.Kind switch
        {
            CpuPteKind.Zero => write ? 1 : 0,
            CpuPteKind.DevicePrivate => 1,
            CpuPteKind.Frame => write && !pte.Writable && !vma.IsShared && _memory.PageRefCount(pte.Pfn) != 1 ? 1 : 0,
            _ => 0,
        };
    }

    /// <summary>What a device sees of an entry (hmm_vma_handle_pte's pfn and HMM_PFN_WRITE).</summary>
    private static HmmPfn ToHmmPfn(CpuPte pte, Vma vma) => pte.Kind switch
    {
        CpuPteKind.DevicePrivate => new HmmPfn(pte.Pfn, pte.Writable && vma.CanWrite, pte.Owner),
        CpuPteKind.Zero => new HmmPfn(pte.Pfn, false),
        _ => new HmmPfn(pte.Pfn, pte.Writable && vma.CanWrite),
    };

    /// <summary>Joins pages needing an invalidation into ranges, consecutive pages with the same event together.</summary>
    private static List<InvalidationRange> Coalesce(List<(ulong Vpn, InvalidationEvent Event)> pages)
    {
        var ranges = new List<InvalidationRange>();
        foreach (var (vpn, evt) in pages)
        {
            var start = AddrOf(vpn);
            if (ranges.Count > 0 && ranges[^1].Event == evt && ranges[^1].Range.End == start)
                ranges[^1] = new InvalidationRange(new AddressRange(ranges[^1].Range.Start, start + PageBytes), evt);
            else
                ranges.Add(new InvalidationRange(new AddressRange(start, start + PageBytes), evt));
        }
        return ranges;
    }

    /// <summary>The virtual page numbers of the entries in [start, end), in address order (a list: the caller may change the table while going through it).</summary>
    private List<ulong> PresentVpns(ulong start, ulong end) => _pt.PresentVpns(Vpn(start), Vpn(end - 1) + 1);
}
