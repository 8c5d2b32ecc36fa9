using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Hmm;

// The dmirror ioctls (dmirror_fops_unlocked_ioctl): argument checks, then one command at a time.
public sealed partial class HmmMirrorActor
{
    /// <summary>The command being served: the request, whom to answer, its range and fault rounds.</summary>
    private sealed class Command(object request, IActorRef replyTo, AddressRange range)
    {
        public object Request { get; } = request;
        public IActorRef ReplyTo { get; } = replyTo;
        public AddressRange Range { get; } = range;
        public ulong Faults { get; set; }
    }

    private Command? _cmd;

    // Commands that arrived while another ran or before the registration was answered, oldest
    // first. A queue rather than the stash: on the deterministic dispatcher unstashed messages
    // compete with newer ones from the same sender, which would break per-sender order.
    private readonly Queue<(object Request, IActorRef ReplyTo)> _deferred = new();
    private bool _draining;

    private void OnCommand(object message, IActorRef replyTo)
    {
        if (message is not (MirrorRead or MirrorWrite or MirrorMigrateToDevice or MirrorMigrateToSystem
            or MirrorRelease or MirrorSnapshot or MirrorExclusive or MirrorCheckExclusive))
        {
            Unhandled(message);
            return;
        }
        if (_registration == null || _cmd != null || _deferred.Count > 0)
        {
            _deferred.Enqueue((message, replyTo));
            return;
        }
        Submit(message, replyTo);
    }

    /// <summary>Starts the waiting commands in arrival order until one has to wait for an answer.</summary>
    private void DrainDeferred()
    {
        if (_draining) return;
        _draining = true;
        try
        {
            while (_registration != null && _cmd == null && _deferred.TryDequeue(out var next)) Submit(next.Request, next.ReplyTo);
        }
        finally
        {
            _draining = false;
        }
    }

    private void Submit(object request, IActorRef replyTo)
    {
        if (_registration is { } failed && failed != Errno.None)
        {
            replyTo.Tell(ErrorReply(request, failed), Self);
            return;
        }
        if (request is MirrorRelease)
        {
            // HMM_DMIRROR_RELEASE takes no range: the whole device memory goes.
            _cmd = new Command(request, replyTo, default);
            _awaiting = Awaiting.Migrate;
            _mm.Tell(new EvictDeviceMemory(), Self);
            return;
        }
        var (address, pages) = request switch
        {
            MirrorRead r => (r.Address, r.Pages),
            MirrorWrite w => (w.Address, (ulong)w.Values.Count),
            MirrorMigrateToDevice m => (m.Address, m.Pages),
            MirrorMigrateToSystem m => (m.Address, m.Pages),
            MirrorSnapshot s => (s.Address, s.Pages),
            MirrorExclusive e => (e.Address, e.Pages),
            MirrorCheckExclusive c => (c.Address, c.Pages),
            _ => throw new ArgumentException($"not a dmirror command: {request}", nameof(request)),
        };
        // dmirror_fops_unlocked_ioctl: addr & ~PAGE_MASK, and addr >= addr + (npages << PAGE_SHIFT), are EINVAL.
        if (!PageSize.Size4K.IsAligned(address.Value) || pages == 0 || pages > ulong.MaxValue >> PageShift
            || address.Value + (pages << PageShift) <= address.Value)
        {
            replyTo.Tell(ErrorReply(request, Errno.EINVAL), Self);
            return;
        }
        var cmd = new Command(request, replyTo, AddressRange.FromLength(address.Value, pages << PageShift));
        _cmd = cmd;
        switch (request)
        {
            case MirrorRead:
                ContinueRead(cmd);
                break;
            case MirrorWrite w:
                ContinueWrite(cmd, w.Values);
                break;
            case MirrorMigrateToDevice:
                _awaiting = Awaiting.Migrate;
                _mm.Tell(new MigrateToDevice(cmd.Range), Self);
                break;
            case MirrorMigrateToSystem:
                _awaiting = Awaiting.Migrate;
                _mm.Tell(new MigrateToSystem(cmd.Range), Self);
                break;
            case MirrorSnapshot:
                _awaiting = Awaiting.Snapshot;
                _mm.Tell(new RangeSnapshot(cmd.Range), Self);
                break;
            case MirrorExclusive:
                _awaiting = Awaiting.Exclusive;
                _mm.Tell(new MakeDeviceExclusive(cmd.Range), Self);
                break;
            default:
                Finish(CheckExclusive(cmd.Range));
                break;
        }
    }

    private static IReply ErrorReply(object request, Errno errno) => request switch
    {
        MirrorSnapshot => new MirrorSnapshotReply(errno, 0, []),
        MirrorCheckExclusive => new Done(errno),
        _ => new MirrorCmdReply(errno, 0, 0, []),
    };

    private void Finish(IReply reply)
    {
        var cmd = _cmd!;
        _cmd = null;
        cmd.ReplyTo.Tell(reply, Self);
        DrainDeferred();
    }

    /// <summary>
    /// dmirror_read: read every page from the device page table; at the first missing one, fault
    /// the rest of the range in (one round of dmirror_fault) and try again.
    /// </summary>
    private void ContinueRead(Command cmd)
    {
        if (FirstMissing(cmd.Range, write: false) is not { } missing)
        {
            var values = ReadPages(cmd.Range);
            Finish(new MirrorCmdReply(Errno.None, cmd.Range.Pages, cmd.Faults, values));
            return;
        }
        FaultMissing(cmd, missing, write: false, () => ContinueRead(cmd));
    }

    /// <summary>
    /// dmirror_write: as dmirror_read, with write faults. All pages are written at once when all
    /// are mapped writable, so a write that fails (EPERM) writes nothing.
    /// </summary>
    private void ContinueWrite(Command cmd, IReadOnlyList<ulong> values)
    {
        if (FirstMissing(cmd.Range, write: true) is not { } missing)
        {
            WritePages(cmd.Range, values);
            Finish(new MirrorCmdReply(Errno.None, cmd.Range.Pages, cmd.Faults, []));
            return;
        }
        FaultMissing(cmd, missing, write: true, () => ContinueWrite(cmd, values));
    }

    private void FaultMissing(Command cmd, ulong missing, bool write, Action again)
    {
        var copied = (missing - cmd.Range.Start) >> PageShift;
        if (cmd.Faults >= (ulong)_options.MaxFaultRounds)
        {
            Finish(new MirrorCmdReply(Errno.EBUSY, copied, cmd.Faults, []));
            return;
        }
        FaultRange(new AddressRange(missing, cmd.Range.End), write, err =>
        {
            if (err != Errno.None)
            {
                Finish(new MirrorCmdReply(err, copied, cmd.Faults, []));
                return;
            }
            cmd.Faults++;
            again();
        });
    }

    /// <summary>The first page the device cannot access (no entry; for a write, an entry without write permission or an atomic one), or null.</summary>
    private ulong? FirstMissing(AddressRange range, bool write)
    {
        for (var addr = range.Start; addr < range.End; addr += PageBytes)
        {
            var pte = _pt.Get(addr);
            if (!pte.IsValid) return addr;
            if (write && (!pte.IsWrite || (pte.DriverFlags & AtomicFlag) != 0)) return addr;
        }
        return null;
    }

    /// <summary>
    /// HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS replies. To the device: the pages now in this device's
    /// memory are mapped (dmirror_migrate_finalize_and_map), then the range is read back; a page
    /// that is not mapped is ENOENT (dmirror_do_read).
    /// </summary>
    private void OnMigrateReply(MigrateReply r)
    {
        if (_awaiting != Awaiting.Migrate || _cmd is not { } cmd) return;
        _awaiting = Awaiting.None;
        if (cmd.Request is MirrorMigrateToSystem or MirrorRelease)
        {
            Finish(new MirrorCmdReply(r.Errno, r.Errno == Errno.None ? (ulong)r.MigratedPages : 0, 0, []));
            return;
        }
        if (r.Errno != Errno.None)
        {
            Finish(new MirrorCmdReply(r.Errno, 0, 0, []));
            return;
        }
        for (var i = 0; i < r.Pages.Count; i++)
        {
            if (r.Pages[i] is not { } page) continue;
            MapLocal(cmd.Range.Start + ((ulong)i << PageShift), page, DevicePrivateFlag, r.Sequence);
        }
        ReadBack(cmd);
    }

    /// <summary>HMM_DMIRROR_EXCLUSIVE: map the pages for atomic access (dmirror_atomic_map), then read them back.</summary>
    private void OnExclusiveReply(RangeFaultReply r)
    {
        if (_cmd is not { } cmd) return;
        _awaiting = Awaiting.None;
        if (r.Errno != Errno.None)
        {
            Finish(new MirrorCmdReply(r.Errno, 0, 0, []));
            return;
        }
        for (var i = 0; i < r.Pages.Count; i++)
            MapLocal(cmd.Range.Start + ((ulong)i << PageShift), r.Pages[i], AtomicFlag, r.Sequence);
        ReadBack(cmd);
    }

    // Pages the mm handed over in its reply: by per-sender FIFO, no invalidation sent after the
    // reply can have been handled before it, so the entries are committed at once.
    private void MapLocal(ulong addr, HmmPfn page, uint flags, long sequence)
    {
        if (_pt.Set(addr, HmmPte.FromPfn(page.Pfn, page.Write).WithDriverFlags(flags)) != Errno.None) return;
        _mapped.Set(addr >> PageShift, new MappedPage(_memory.PageGeneration(page.Pfn), sequence, null));
    }

    private void ReadBack(Command cmd)
    {
        if (FirstMissing(cmd.Range, write: false) is { } missing)
        {
            Finish(new MirrorCmdReply(Errno.ENOENT, (missing - cmd.Range.Start) >> PageShift, 0, []));
            return;
        }
        Finish(new MirrorCmdReply(Errno.None, cmd.Range.Pages, 0, ReadPages(cmd.Range)));
    }

    /// <summary>dmirror_check_atomic: EPERM while any page of the range is mapped for atomic access.</summary>
    private Done CheckExclusive(AddressRange range)
    {
        foreach (var e in _pt.Entries(range))
            if ((e.Pte.DriverFlags & AtomicFlag) != 0) return new Done(Errno.EPERM);
        return Done.Ok;
    }

    /// <summary>HMM_DMIRROR_SNAPSHOT: dmirror_mkentry for each page of the mm's answer.</summary>
    private void OnSnapshotReply(RangeSnapshotReply r)
    {
        if (_awaiting != Awaiting.Snapshot || _cmd is not { } cmd) return;
        _awaiting = Awaiting.None;
        if (r.Errno != Errno.None)
        {
            Finish(new MirrorSnapshotReply(r.Errno, 0, []));
            return;
        }
        var prot = new byte[r.Pages.Count];
        for (var i = 0; i < prot.Length; i++) prot[i] = Encode(r.Pages[i]);
        Finish(new MirrorSnapshotReply(Errno.None, (ulong)prot.Length, prot));
    }

    private byte Encode(HmmPfnSnapshot s)
    {
        if (s.State == HmmPfnState.Error) return HmmDmirrorProt.Error;
        if (s.State == HmmPfnState.None) return HmmDmirrorProt.None;
        var kind = s.Page.IsDevicePrivate
            ? (s.Page.DevicePrivateOwner == _device ? HmmDmirrorProt.DevPrivateLocal : HmmDmirrorProt.DevPrivateRemote)
            : s.IsZeroPage ? HmmDmirrorProt.Zero : HmmDmirrorProt.None;
        return (byte)(kind | (s.Page.Write ? HmmDmirrorProt.Write : HmmDmirrorProt.Read));
    }
}
