using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// hmm_range_fault() (mm/hmm.c) on behalf of a mirror, with and without faulting.
public sealed partial class MmActor
{
    /// <summary>
    /// hmm_range_fault with HMM_PFN_REQ_FAULT (and HMM_PFN_REQ_WRITE for a write). Errors, checked
    /// for the whole range in address order before anything changes, as hmm-tests.c expects:
    /// EINVAL for a misaligned, empty or wrapping range; EFAULT for a page without a VMA or
    /// without read permission (hmm_vma_walk_hole, hmm_vma_walk_test); EPERM for a write to a VMA
    /// without write permission (hmm_vma_fault). Device-private pages of the requesting device
    /// are returned as they are (dev_private_owner); those of another device come back to RAM.
    /// Faults that replace or revoke a page a device may map run under an invalidation first,
    /// so the reply's sequence is the even sequence after it.
    /// </summary>
    private void OnRangeFault(RangeFault f, IActorRef replyTo)
    {
        _deviceFaultCount++;
        FaultForDevice(f.Range, f.Write, DeviceOf(replyTo), reply => replyTo.Tell(reply, Self));
    }

    /// <summary>
    /// The fault of <see cref="OnRangeFault"/> for <paramref name="device"/> (null: not a mirror,
    /// e.g. gup), answered through <paramref name="done"/> exactly once: at once, or after the
    /// invalidation the fault needs, right after the pages were faulted (nothing else runs between).
    /// </summary>
    private void FaultForDevice(AddressRange range, bool write, string? device, Action<RangeFaultReply> done)
    {
        if (!IsValidPageRange(range))
        {
            done(new RangeFaultReply(Errno.EINVAL, _sequence, []));
            return;
        }
        var err = CheckFaultPermissions(range, write, out _);
        if (err != Errno.None)
        {
            done(new RangeFaultReply(err, _sequence, []));
            return;
        }
        var ptes = ReadPtes(range);
        List<(ulong Vpn, InvalidationEvent Event)>? needs = null;
        var vpn = Vpn(range.Start);
        var end = Vpn(range.End);
        // The permission check proved the range has no hole: consecutive VMAs cover it.
        for (int vi = IndexAtOrAfter(range.Start), i = 0; vpn < end; vi++)
        {
            var vma = _vmas[vi];
            for (var pieceEnd = Math.Min(end, Vpn(vma.End)); vpn < pieceEnd; vpn++, i++)
                if (FaultInvalidation(ptes[i], vma, write, device) is { } evt) (needs ??= []).Add((vpn, evt));
        }
        if (needs == null)
        {
            done(FaultRange(range, write, device, ptes));
            return;
        }
        RangeFaultReply? result = null;
        Invalidate(Coalesce(needs), () => result = FaultRange(range, write, device, ReadPtes(range)),
            () => done(result! with { Sequence = _sequence }));
    }

    // Scratch for the entries of the range being faulted (reused: faults run one at a time and
    // a range is one leaf directory, 512 pages, as the mirror sends them).
    private CpuPte?[] _faultPtes = [];

    // The undo log of the range fault in progress, reused for its lists' capacity.
    private readonly PteJournal _faultJournal = new();

    /// <summary>The entries of every page of the range (null for pte_none), one table lookup each.</summary>
    private CpuPte?[] ReadPtes(AddressRange range)
    {
        var pages = (int)range.Pages;
        var ptes = _faultPtes.Length >= pages ? _faultPtes : new CpuPte?[pages];
        if (pages <= MaxScratchPages && ptes != _faultPtes) _faultPtes = ptes;
        var vpn = Vpn(range.Start);
        for (var i = 0; i < pages; i++, vpn++) ptes[i] = _pt.Get(vpn);
        return ptes;
    }

    // Larger ranges get a scratch array of their own, so one huge fault does not pin memory.
    private const int MaxScratchPages = 4096;

    /// <summary>
    /// The first error of the range in address order: a hole or an unreadable VMA is EFAULT, a
    /// write to a read-only VMA EPERM. <paramref name="failedAt"/> is the address of the first
    /// page that fails (the range's end when none does).
    /// </summary>
    private Errno CheckFaultPermissions(AddressRange range, bool write, out ulong failedAt)
    {
        var at = range.Start;
        foreach (var v in VmasIn(range.Start, range.End))
        {
            failedAt = at;
            if (v.Start > at || !v.CanRead) return Errno.EFAULT;
            if (write && !v.CanWrite) return Errno.EPERM;
            at = v.End;
        }
        failedAt = Math.Min(at, range.End);
        return at >= range.End ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// Faults every page of a range whose permissions were checked, given its entries
    /// (<see cref="ReadPtes"/>); all or nothing. The fresh pages the range needs are allocated in
    /// one bulk call before any entry changes (and the zero page, if a page maps it), so ENOMEM
    /// fails the fault before it touched the table; the journal still rolls back whatever a page
    /// could not finish.
    /// </summary>
    private RangeFaultReply FaultRange(AddressRange range, bool write, string? device, CpuPte?[] ptes)
    {
        var pages = (int)range.Pages;
        var first = Vpn(range.Start);
        var end = Vpn(range.End);
        var fresh = 0;
        var zero = false;
        var vpn = first;
        for (int vi = IndexAtOrAfter(range.Start), i = 0; vpn < end; vi++)
        {
            var vma = _vmas[vi];
            for (var pieceEnd = Math.Min(end, Vpn(vma.End)); vpn < pieceEnd; vpn++, i++)
            {
                if (Keeps(ptes[i], write, device)) continue;
                fresh += FreshPagesNeeded(ptes[i], vma, write);
                zero |= ptes[i] == null && !write && !vma.IsShared;
            }
        }
        var journal = _faultJournal;
        journal.Reset();
        var err = zero ? EnsureZeroPage(out _) : Errno.None;
        if (err == Errno.None && fresh > 0) err = ReserveSystemPages(fresh, journal);
        if (err != Errno.None) return new RangeFaultReply(err, _sequence, []);

        var result = new HmmPfn[pages];
        vpn = first;
        for (int vi = IndexAtOrAfter(range.Start), i = 0; vpn < end; vi++)
        {
            var vma = _vmas[vi];
            for (var pieceEnd = Math.Min(end, Vpn(vma.End)); vpn < pieceEnd; vpn++, i++)
            {
                var current = ptes[i];
                CpuPte now;
                if (Keeps(current, write, device)) now = current!.Value;
                else if ((err = FaultIn(vpn, vma, write, journal, current, out now)) != Errno.None)
                {
                    RollbackJournal(journal);
                    journal.Reset();
                    return new RangeFaultReply(err, _sequence, []);
                }
                result[i] = ToHmmPfn(now, vma);
            }
        }
        CommitJournal(journal);
        journal.Reset();
        return new RangeFaultReply(Errno.None, _sequence, result);
    }

    /// <summary>hmm_range_fault leaves the requesting device's own private page alone (dev_private_owner) unless it must become writable.</summary>
    private static bool Keeps(CpuPte? current, bool write, string? device) =>
        current is { Kind: CpuPteKind.DevicePrivate } pte && device != null && pte.Owner == device && (!write || pte.Writable);

    /// <summary>
    /// hmm_range_fault without HMM_PFN_REQ_FAULT (dmirror_range_snapshot): nothing is faulted
    /// in; each page is reported as ERROR (no VMA, no read permission), not valid (pte_none,
    /// another device's private page, a device-exclusive entry) or valid.
    /// </summary>
    private void OnRangeSnapshot(RangeSnapshot s, IActorRef replyTo)
    {
        if (!IsValidPageRange(s.Range))
        {
            replyTo.Tell(new RangeSnapshotReply(Errno.EINVAL, _sequence, []), Self);
            return;
        }
        var device = DeviceOf(replyTo);
        var pages = new HmmPfnSnapshot[s.Range.Pages];
        var i = 0;
        ForEachPage(s.Range, (vpn, vma) =>
        {
            if (vma == null || !vma.CanRead)
            {
                pages[i++] = new HmmPfnSnapshot(HmmPfnState.Error, default);
                return;
            }
            if (!_pt.TryGet(vpn, out var pte))
            {
                pages[i++] = new HmmPfnSnapshot(HmmPfnState.None, default);
                return;
            }
            pages[i++] = pte.Kind switch
            {
                CpuPteKind.Zero => new HmmPfnSnapshot(HmmPfnState.Valid, ToHmmPfn(pte, vma), IsZeroPage: true),
                CpuPteKind.Exclusive => new HmmPfnSnapshot(HmmPfnState.None, default),
                CpuPteKind.DevicePrivate when pte.Owner != device || device == null => new HmmPfnSnapshot(HmmPfnState.None, default),
                _ => new HmmPfnSnapshot(HmmPfnState.Valid, ToHmmPfn(pte, vma)),
            };
        });
        replyTo.Tell(new RangeSnapshotReply(Errno.None, _sequence, pages), Self);
    }

    /// <summary>Calls <paramref name="action"/> for every page of the range in order, with its VMA (null in a hole).</summary>
    private void ForEachPage(AddressRange range, Action<ulong, Vma?> action)
    {
        var vpn = Vpn(range.Start);
        var end = Vpn(range.End);
        var vi = IndexAtOrAfter(range.Start);
        while (vpn < end)
        {
            var vma = vi < _vmas.Count ? _vmas[vi] : null;
            if (vma == null || AddrOf(vpn) < vma.Start)
            {
                // A hole up to the next VMA (or the end).
                var holeEnd = vma == null ? end : Math.Min(end, Vpn(vma.Start));
                for (; vpn < holeEnd; vpn++) action(vpn, null);
                continue;
            }
            var vmaEnd = Math.Min(end, Vpn(vma.End));
            for (; vpn < vmaEnd; vpn++) action(vpn, vma);
            vi++;
        }
    }
}
