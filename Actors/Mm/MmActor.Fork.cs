using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// fork(2) with copy-on-write (kernel/fork.c dup_mmap, mm/memory.c copy_page_range) and exit(2)
// (exit_mmap: the RELEASE invalidation, then every page put).
public sealed partial class MmActor
{
    /// <summary>The address space a forked child starts with; the parent sends it before anyone else knows the child.</summary>
    private sealed record ForkedState(List<Vma> Vmas, CpuPageTable PageTable, Pfn? ZeroPage, long NextOrigin);

    /// <summary>
    /// fork(2). The child is a new top-level MmActor named <see cref="Fork.ChildName"/>, with no
    /// mirrors (a child opens its own, as hmm-tests' children do). Private pages become
    /// copy-on-write in both: copy_page_range write-protects the parent's ptes under an
    /// MMU_NOTIFY_PROTECTION_PAGE invalidation (WRITE_PROTECT here), and every page gains the
    /// child's reference. Device-private pages are shared read-only the same way
    /// (copy_nonpresent_pte); device-exclusive entries are restored first. Shared mappings stay
    /// shared: their missing pages are faulted in before the copy, so that parent and child see
    /// one page for each address (the kernel shares the shmem object instead).
    /// </summary>
    private void OnFork(Fork f, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new ForkReply(Errno.ESRCH, null), Self);
            return;
        }
        IActorRef child;
        try
        {
            child = Context.System.ActorOf(ForkedProps(_memory, _hmmDomainProps, _options), f.ChildName);
        }
        catch (InvalidActorNameException)
        {
            replyTo.Tell(new ForkReply(IsValidActorName(f.ChildName) ? Errno.EEXIST : Errno.EINVAL, null), Self);
            return;
        }

        var journal = new PteJournal();
        foreach (var v in _vmas)
        {
            if (!v.IsShared) continue;
            for (var vpn = Vpn(v.Start); vpn < Vpn(v.End); vpn++)
            {
                if (_pt.Contains(vpn)) continue;
                if (FaultIn(vpn, v, write: false, journal) == Errno.None) continue;
                RollbackJournal(journal);
                Context.System.Stop(child);
                replyTo.Tell(new ForkReply(Errno.ENOMEM, null), Self);
                return;
            }
        }

        var protect = new List<(ulong Vpn, InvalidationEvent Event)>();
        foreach (var v in _vmas)
        {
            if (v.IsShared) continue;
            foreach (var (vpn, pte) in _pt.Range(Vpn(v.Start), Vpn(v.End)))
                if (pte.Kind == CpuPteKind.Exclusive || pte.Writable) protect.Add((vpn, InvalidationEvent.WriteProtect));
        }

        ForkedState? state = null;
        void Apply()
        {
            var vmas = new List<Vma>(_vmas.Count);
            foreach (var v in _vmas)
            {
                vmas.Add(v.CloneRange(v.Start, v.End));
                if (!v.IsShared) WriteProtectPtes(v.Start, v.End);
            }
            var table = _pt.Clone();
            foreach (var (_, pte) in table.All)
                if (pte.HoldsReference) _memory.GetPage(pte.Pfn);
            if (_zeroPage is { } zero) _memory.GetPage(zero);
            state = new ForkedState(vmas, table, _zeroPage, _nextOrigin);
        }
        void Complete()
        {
            child.Tell(state!, Self);
            replyTo.Tell(new ForkReply(Errno.None, child), Self);
        }
        if (protect.Count == 0)
        {
            Apply();
            Complete();
            return;
        }
        Invalidate(Coalesce(protect), Apply, Complete);
    }

    // The runtime's rule for actor names: a refused valid name is taken (EEXIST), an invalid one is EINVAL.
    private static bool IsValidActorName(string name) =>
        !string.IsNullOrEmpty(name) && name[0] != '$' && name.All(c => char.IsAsciiLetterOrDigit(c) || "-_.*$+:@&=,!~';()".Contains(c));

    private void OnForkedState(ForkedState s)
    {
        if (!_awaitingForkState) return;
        _vmas.AddRange(s.Vmas);
        foreach (var (vpn, pte) in s.PageTable.All) _pt.Set(vpn, pte);
        _zeroPage = s.ZeroPage;
        _nextOrigin = s.NextOrigin;
        _awaitingForkState = false;
        DrainDeferred();
    }

    /// <summary>
    /// exit(2): exit_mmap sends RELEASE over the whole address space (mmu_notifier_release), then
    /// unmaps everything. Mirrors stay registered and see every later fault fail with EFAULT;
    /// system calls answer ESRCH.
    /// </summary>
    private void OnExit(Exit e, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new Done(Errno.ESRCH), Self);
            return;
        }
        void Apply()
        {
            var trace = Tracing;
            foreach (var (_, pte) in _pt.All) ReleasePte(pte, trace);
            _pt.Clear();
            _vmas.Clear();
            if (_zeroPage is { } zero) PutPage(zero, trace);
            _zeroPage = null;
            _exited = true;
        }
        Invalidate([new InvalidationRange(new AddressRange(0, _options.TaskSize), InvalidationEvent.Release)], Apply, () =>
        {
            replyTo.Tell(Done.Ok, Self);
            OnSvaExit();
        });
    }
}
