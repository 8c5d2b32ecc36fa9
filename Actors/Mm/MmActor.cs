using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

/// <summary>
/// struct mm_struct + struct hmm: one process address space. It owns the VMAs, the CPU page
/// table (vpn to page, write bit, copy-on-write, device-private and device-exclusive entries), the
/// list of mirrors and of HMM domains, and the invalidation sequence (mmu_interval_notifier's
/// invalidate_seq: even while idle, odd while an invalidation runs).
/// </summary>
/// <remarks>
/// <para><b>Invalidation protocol</b> (DESIGN.md protocol 1; mm/mmu_notifier.c): an operation that
/// removes or downgrades mappings (MUNMAP, MIGRATE, WRITE_PROTECT, RELEASE) makes the sequence
/// odd, sends <see cref="MmuInvalidate"/> to every mirror and HMM domain, and sets every other
/// request aside (in arrival order) until each has answered with its <see cref="InvalidationFence"/>.
/// Only then does it change or free the CPU pages, make the sequence even again and answer its
/// caller. The actor never blocks: the wait is a state (an invalidation is running), not a wait
/// on a thread.</para>
/// <para><b>Device faults</b> (protocol 2; mm/hmm.c hmm_range_fault): <see cref="RangeFault"/> is
/// answered with the pages and the even sequence they were read under; errors are those
/// tools/testing/selftests/mm/hmm-tests.c expects.</para>
/// <para><b>Failure atomicity</b>: every request is answered with exactly one reply, and a
/// request that fails changes nothing: arguments and permissions are checked for the whole
/// range before anything changes, and page allocations that fail half way are rolled back
/// (<see cref="PteJournal"/>).</para>
/// </remarks>
public sealed partial class MmActor : ReceiveActor
{
    private readonly PhysicalMemory _memory;
    private readonly Func<IActorRef, Props>? _hmmDomainProps;
    private readonly MmOptions _options;

    // The VMAs, sorted by start and never overlapping.
    private readonly List<Vma> _vmas = [];

    // The CPU page table: virtual page number to entry. Absent means pte_none.
    private readonly CpuPageTable _pt = new();

    // invalidate_seq of mmu_interval_notifier: even while idle, odd during an invalidation.
    private long _sequence;
    private long _invalidationCount;
    private long _deviceFaultCount;
    private long _nextOrigin;

    // The zero page this mm maps for read faults of private memory, allocated on first use;
    // the mm holds one reference on it (a forked child takes its own).
    private Pfn? _zeroPage;

    // exit() has run: the address space is empty and system calls answer ESRCH.
    private bool _exited;

    // A forked child waits for its parent's page table before it serves anything.
    private bool _awaitingForkState;

    // Requests that arrived while an invalidation ran (or before a child's state arrived), oldest first.
    private readonly Queue<(object Request, IActorRef ReplyTo)> _deferred = new();
    private bool _draining;

    /// <param name="memory">The machine's physical memory, shared by every actor.</param>
    /// <param name="hmmDomainProps">
    /// Creates the HMM domain for an IOMMU domain (seed 000's hmm_new_domain), given the IOMMU
    /// domain's actor. Null: devices behind an IOMMU domain mirror without an HMM domain.
    /// </param>
    /// <param name="options">Address-space limits and bug injection; <see cref="MmOptions.Default"/> if null.</param>
    public MmActor(PhysicalMemory memory, Func<IActorRef, Props>? hmmDomainProps = null, MmOptions? options = null)
        : this(memory, hmmDomainProps, options, awaitForkState: false)
    {
    }

    private MmActor(PhysicalMemory memory, Func<IActorRef, Props>? hmmDomainProps, MmOptions? options, bool awaitForkState)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        _hmmDomainProps = hmmDomainProps;
        _options = options ?? MmOptions.Default;
        _nextOrigin = 1;
        _awaitingForkState = awaitForkState;

        // Answers, fences and deaths are handled at once in every state; requests are served in
        // arrival order, waiting in the deferred queue while an invalidation runs.
        Receive<InvalidationFence>(OnFence);
        Receive<Terminated>(OnTerminated);
        Receive<Done>(OnDomainAck);
        Receive<DomainMirrorRemoved>(OnDomainMirrorRemoved);
        Receive<GetMmStats>(_ => Sender.Tell(Stats(), Self));
        Receive<ForkedState>(OnForkedState);
        ReceiveSva();
        ReceiveAny(m => OnRequest(m, Sender));
    }

    /// <summary>A request: served now if the mm is idle, else queued behind the ones already waiting.</summary>
    private void OnRequest(object message, IActorRef replyTo)
    {
        if (!IsRequest(message))
        {
            Unhandled(message);
            return;
        }
        if (_running != null || _awaitingForkState || _deferred.Count > 0)
        {
            _deferred.Enqueue((message, replyTo));
            return;
        }
        Serve(message, replyTo);
    }

    private static bool IsRequest(object message) => message is Mmap or Munmap or Mprotect or Mremap or Fork or Exit
        or CpuRead or CpuWrite or RegisterMirror or UnregisterMirror or RangeFault or RangeSnapshot
        or MigrateToDevice or MigrateToSystem or EvictDeviceMemory or MakeDeviceExclusive
        or PinUserPages or SvaMmGrab or SvaWalk or SvaHandleFaults;

    private void Serve(object request, IActorRef replyTo)
    {
        switch (request)
        {
            case Mmap m: OnMmap(m, replyTo); break;
            case Munmap m: OnMunmap(m, replyTo); break;
            case Mprotect m: OnMprotect(m, replyTo); break;
            case Mremap m: OnMremap(m, replyTo); break;
            case Fork f: OnFork(f, replyTo); break;
            case Exit e: OnExit(e, replyTo); break;
            case CpuRead r: OnCpuRead(r, replyTo); break;
            case CpuWrite w: OnCpuWrite(w, replyTo); break;
            case RegisterMirror r: OnRegisterMirror(r, replyTo); break;
            case UnregisterMirror u: OnUnregisterMirror(u, replyTo); break;
            case RangeFault f: OnRangeFault(f, replyTo); break;
            case RangeSnapshot s: OnRangeSnapshot(s, replyTo); break;
            case MigrateToDevice m: OnMigrateToDevice(m, replyTo); break;
            case MigrateToSystem m: OnMigrateToSystem(m, replyTo); break;
            case EvictDeviceMemory: OnEvictDeviceMemory(replyTo); break;
            case MakeDeviceExclusive m: OnMakeDeviceExclusive(m, replyTo); break;
            case PinUserPages p: OnPinUserPages(p, replyTo); break;
            case SvaMmGrab: OnSvaGrab(replyTo); break;
            case SvaWalk w: OnSvaWalk(w, replyTo); break;
            case SvaHandleFaults h: OnSvaHandleFaults(h, replyTo); break;
        }
    }

    /// <summary>
    /// Serves the waiting requests in arrival order until one starts an invalidation (the rest
    /// keep waiting for it). Requests are queued here rather than stashed: on the deterministic
    /// dispatcher unstashed messages compete with newer ones from the same sender, which would
    /// break per-sender order (two CPU writes of one process could land in the wrong order).
    /// </summary>
    private void DrainDeferred()
    {
        if (_draining) return;
        _draining = true;
        try
        {
            while (_running == null && !_awaitingForkState && _deferred.TryDequeue(out var next)) Serve(next.Request, next.ReplyTo);
        }
        finally
        {
            _draining = false;
        }
    }

    /// <summary>Props for an mm; see the constructor for the parameters.</summary>
    public static Props Props(PhysicalMemory memory, Func<IActorRef, Props>? hmmDomainProps = null, MmOptions? options = null) =>
        global::IommuSim.Runtime.Props.Create(() => new MmActor(memory, hmmDomainProps, options));

    private static Props ForkedProps(PhysicalMemory memory, Func<IActorRef, Props>? hmmDomainProps, MmOptions options) =>
        global::IommuSim.Runtime.Props.Create(() => new MmActor(memory, hmmDomainProps, options, awaitForkState: true));

    private MmStats Stats() => new(
        Errno.None,
        _sequence,
        _vmas.Count,
        _pt.Count,
        _mirrors.Count,
        _domains.Count,
        _invalidationCount,
        _deviceFaultCount);

    private const int PageShift = PageSize.BaseShift;
    private const ulong PageBytes = 1UL << PageShift;

    private static ulong Vpn(ulong addr) => addr >> PageShift;

    private static ulong AddrOf(ulong vpn) => vpn << PageShift;

    /// <summary>A non-empty, page-aligned range that does not wrap (hmm_range_fault's and the dmirror ioctl's EINVAL checks).</summary>
    private static bool IsValidPageRange(AddressRange range) =>
        range.End > range.Start && PageSize.Size4K.IsAligned(range.Start) && PageSize.Size4K.IsAligned(range.End);

    /// <summary>Rounds a length up to whole pages; false if that wraps (the syscalls' PAGE_ALIGN overflow checks).</summary>
    private static bool TryPageAlignLength(ulong length, out ulong aligned)
    {
        aligned = PageSize.Size4K.AlignUp(length);
        return length == 0 || aligned >= length;
    }
}
