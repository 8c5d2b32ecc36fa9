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
        var range = f.Range;
        if (!IsValidPageRange(range))
        {
            replyTo.Tell(new RangeFaultReply(Errno.EINVAL, _sequence, []), Self);
            return;
        }
        var err = CheckFaultPermissions(range, f.Write);
        if (err != Errno.None)
        {
            replyTo.Tell(new RangeFaultReply(err, _sequence, []), Self);
            return;
        }
        var device = DeviceOf(replyTo);
        var needs = new List<(ulong Vpn, InvalidationEvent Event)>();
        ForEachPage(range, (vpn, vma) =>
        {
            if (FaultInvalidation(vpn, vma!, f.Write, device) is { } evt) needs.Add((vpn, evt));
        });
        if (needs.Count == 0)
        {
            replyTo.Tell(FaultRange(range, f.Write, device), Self);
            return;
        }
        RangeFaultReply? result = null;
        Invalidate(Coalesce(needs), () => result = FaultRange(range, f.Write, device), () => replyTo.Tell(result! with { Sequence = _sequence }, Self));
    }

    /// <summary>The first error of the range in address order: a hole or an unreadable VMA is EFAULT, a write to a read-only VMA EPERM.</summary>
    private Errno CheckFaultPermissions(AddressRange range, bool write)
    {
        var at = range.Start;
        foreach (var v in VmasIn(range.Start, range.End))
        {
            if (v.Start > at || !v.CanRead) return Errno.EFAULT;
            if (write && !v.CanWrite) return Errno.EPERM;
            at = v.End;
        }
        return at >= range.End ? Errno.None : Errno.EFAULT;
    }

    // Faults every page of a range whose permissions were checked; all or nothing.
    private RangeFaultReply FaultRange(AddressRange range, bool write, string? device)
    {
        var journal = new PteJournal();
        var pages = new HmmPfn[range.Pages];
        var i = 0;
        var err = Errno.None;
        ForEachPage(range, (vpn, vma) =>
        {
            if (err != Errno.None) return;
            var keep = _pt.TryGetValue(vpn, out var pte) && pte.Kind == CpuPteKind.DevicePrivate
                && pte.Owner == device && device != null && (!write || pte.Writable);
            if (!keep) err = FaultIn(vpn, vma!, write, journal);
            if (err == Errno.None) pages[i++] = ToHmmPfn(_pt[vpn], vma!);
        });
        if (err != Errno.None)
        {
            RollbackJournal(journal);
            return new RangeFaultReply(err, _sequence, []);
        }
        CommitJournal(journal);
        return new RangeFaultReply(Errno.None, _sequence, pages);
    }

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
            if (!_pt.TryGetValue(vpn, out var pte))
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
