using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// struct hmm_mirror for one (device, mm), behaving as lib/test_hmm.c's dmirror device: it
/// registers with its mm, keeps the device page table (an <see cref="HmmPageTable"/> of pfn
/// entries), serves the dmirror commands (<see cref="MirrorRead"/>, <see cref="MirrorWrite"/>,
/// migration, snapshot, exclusive access) and answers every <see cref="MmuInvalidate"/> by
/// clearing the range and sending <see cref="InvalidationFence"/>.
/// </summary>
/// <remarks>
/// <para><b>Device faults</b> (dmirror_fault / dmirror_range_fault): a missing page is faulted
/// through the mm in chunks of at most one leaf directory (2 MiB). A mirror whose device sits
/// behind an IOMMU domain first has its HMM domain map the directory (seed 000's
/// hmm_mirror_domain_update) and commits only when <see cref="DirectoryMapped"/> arrives and no
/// invalidation of an overlapping range arrived since the pages were read
/// (mmu_interval_read_retry); otherwise it faults the chunk again. Invalidations are handled in
/// every state, never stashed: the mm waits for their fences.</para>
/// <para><b>Commands</b> run one at a time (dmirror's mutex); later ones wait in arrival order.</para>
/// <para><b>DMA</b>: every page the device reads or writes is published as
/// <see cref="DmaAccess"/> with the page's generation when the mm handed it out, so the
/// <c>DmaSafetyOracle</c> can tell a stale mapping from a live one.</para>
/// </remarks>
public sealed partial class HmmMirrorActor : ReceiveActor
{
    /// <summary>Driver flag of an entry mapped for atomic access (DPT_XA_TAG_ATOMIC).</summary>
    internal const uint AtomicFlag = 1;

    /// <summary>Driver flag of an entry that is a page of this device's private memory.</summary>
    internal const uint DevicePrivateFlag = 2;

    private const int PageShift = PageSize.BaseShift;
    private const ulong PageBytes = 1UL << PageShift;
    private const ulong DirectoryBytes = 1UL << HmmPtGeometry.DomainGranuleShift;

    private readonly IActorRef _mm;
    private readonly string _device;
    private readonly PhysicalMemory _memory;
    private readonly IActorRef? _iommuDomain;
    private readonly MirrorOptions _options;
    private readonly HmmPageTable _pt;

    // What the device page table does not hold: per mapped page, the page generation and the
    // mm sequence it was read under, and its IOVA when the HMM domain mapped it.
    private readonly MappedPages _mapped = new();

    private IActorRef? _hmmDomain;
    private Errno? _registration;

    private long _faultRounds;
    private long _rangeFaults;
    private long _retries;
    private long _pagesCopied;
    private long _invalidations;
    private long _directoryMaps;

    /// <param name="mm">The MmActor this device mirrors.</param>
    /// <param name="device">The device's name: unique per mm, and the owner name of its device-private memory pool.</param>
    /// <param name="memory">The machine's physical memory (the device reads and writes it).</param>
    /// <param name="iommuDomain">The IOMMU domain the device sits behind, or null.</param>
    public HmmMirrorActor(IActorRef mm, string device, PhysicalMemory memory, IActorRef? iommuDomain = null, MirrorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentNullException.ThrowIfNull(memory);
        _mm = mm;
        _device = device;
        _memory = memory;
        _iommuDomain = iommuDomain;
        _options = options ?? MirrorOptions.Default;
        _pt = new HmmPageTable(_options.LastAddress, _options.ReclaimPolicy);

        Receive<MirrorRegistered>(OnRegistered);
        Receive<MmuInvalidate>(OnInvalidate);
        Receive<RangeFaultReply>(OnRangeFaultReply);
        Receive<DirectoryMapped>(OnDirectoryMapped);
        Receive<MigrateReply>(OnMigrateReply);
        Receive<RangeSnapshotReply>(OnSnapshotReply);
        Receive<GetMirrorStats>(_ => Sender.Tell(Stats(), Self));
        Receive<Terminated>(OnTerminated);

        ReceiveAny(m => OnCommand(m, Sender));
    }

    public static Props Props(IActorRef mm, string device, PhysicalMemory memory, IActorRef? iommuDomain = null, MirrorOptions? options = null) =>
        global::IommuSim.Runtime.Props.Create(() => new HmmMirrorActor(mm, device, memory, iommuDomain, options));

    // dmirror_fops_open -> mmu_interval_notifier_insert: register before serving anything. The
    // mirror watches its mm (and later its HMM domain) so that no command waits forever for an
    // answer from an actor that is gone.
    protected override void PreStart()
    {
        Context.Watch(_mm);
        _mm.Tell(new RegisterMirror(Self, _device, _iommuDomain), Self);
    }

    private void OnRegistered(MirrorRegistered r)
    {
        if (_registration != null) return;
        _registration = r.Errno;
        _hmmDomain = r.Errno == Errno.None ? r.HmmDomain : null;
        if (_hmmDomain != null) Context.Watch(_hmmDomain);
        if (r.Errno != Errno.None) Log.Warning($"mirror of {_device} could not register with {_mm.Path}: {r.Errno.Describe()}");
        DrainDeferred();
    }

    /// <summary>
    /// The mm stopped: the process is gone (mmget_not_zero fails), the device table is emptied, and
    /// every command from now on, and the one waiting for the mm, fails with ESRCH. The HMM domain stopped: a fault waiting for
    /// its DirectoryMapped is redone, now without a domain.
    /// </summary>
    private void OnTerminated(Terminated t)
    {
        if (t.ActorRef.Equals(_hmmDomain))
        {
            _hmmDomain = null;
            if (_awaiting == Awaiting.Map && _job is { } job)
            {
                _awaiting = Awaiting.None;
                Retry(job);
            }
            return;
        }
        if (!t.ActorRef.Equals(_mm)) return;
        _registration = Errno.ESRCH;
        _hmmDomain = null;
        // As after mmu_notifier_release: nothing of the address space stays mapped.
        ClearRange(new AddressRange(0, _options.LastAddress));
        if (_cmd is { } cmd)
        {
            _job = null;
            _awaiting = Awaiting.None;
            Finish(ErrorReply(cmd.Request, Errno.ESRCH));
        }
        DrainDeferred();
    }

    /// <summary>
    /// dmirror_interval_invalidate: clear the range from the device page table (dmirror erases
    /// for every event) and answer with the fence. A fault in flight remembers the invalidation,
    /// so its commit can tell whether it collided.
    /// </summary>
    private void OnInvalidate(MmuInvalidate inv)
    {
        _invalidations++;
        _job?.Seen.Add((inv.Sequence, inv.Range));
        ClearRange(inv.Range);
        // The review's "keep the HMM page tables around until the actual munmap()": with that
        // policy the directories a MIGRATE emptied stay, and only MUNMAP (or the mm going away) frees them.
        if (_options.ReclaimPolicy == HmmPtReclaimPolicy.OnMunmap && inv.Event is InvalidationEvent.Munmap or InvalidationEvent.Release)
            _pt.Reclaim(inv.Range);
        Sender.Tell(new InvalidationFence(inv.Sequence), Self);
    }

    private void ClearRange(AddressRange range)
    {
        foreach (var e in _pt.Entries(range)) _mapped.Remove(e.Address >> PageShift);
        _pt.Clear(range);
    }

    private MirrorStats Stats() => new(
        Errno.None,
        _registration ?? Errno.EAGAIN,
        _faultRounds,
        _rangeFaults,
        _retries,
        _pagesCopied,
        _pt.Counters.ValidEntries,
        _invalidations,
        _directoryMaps)
    {
        TableDirectoriesAllocated = _pt.Counters.DirectoriesAllocated,
        TableDirectoriesFreed = _pt.Counters.DirectoriesFreed,
    };

    private bool Tracing => Context.System.EventStream.HasSubscribers(typeof(ITraceEvent));

    private void Publish(ITraceEvent e) => Context.System.EventStream.Publish(e);
}
