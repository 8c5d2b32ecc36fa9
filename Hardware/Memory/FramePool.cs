using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Memory;

/// <summary>
/// One contiguous range of page frames with its own allocator: host RAM, or one device's
/// MEMORY_DEVICE_PRIVATE memory (what memremap_pages() gives lib/test_hmm.c's dmirror).
/// Frames are 4 KiB, with a reference count, a pin count, a dirty flag and one 64-bit word of
/// contents. Storage is materialised on first allocation (<see cref="FrameTable"/>).
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> Physical memory is the one structure every actor touches
/// concurrently (devices DMA into it while the mm frees pages), so it is thread-safe by itself:</para>
/// <list type="bullet">
/// <item>Per-frame operations (get, put, pin, unpin, dirty, read, write) are lock-free, a few ns:
/// reference counts change by compare-and-swap loops that never take a count up from zero
/// (get_page_unless_zero / atomic_inc_not_zero), flags change by Interlocked.Or/And, and the
/// contents word is read and written with Volatile (64-bit accesses are atomic on the 64-bit
/// platforms .NET runs on). A lock per frame would cost an object per frame; a lock per pool
/// would serialise every DMA in the machine.</item>
/// <item>Allocation and the final free (the put that takes a count to zero) take the pool's lock
/// for the free list, the bump pointer and the counters. They are not on the get/put/read/write
/// hot path, and a lock avoids the ABA problem a lock-free intrusive free list would have.</item>
/// <item>A count reaching zero is final: only the thread whose CAS made it zero frees the frame,
/// and no get or pin can revive it, so the frame is private to that thread until it is back on
/// the free list. Allocation resets a frame completely before publishing its count of one.</item>
/// </list>
/// <para><b>Use after free.</b> Any operation on a free frame (count 0, or never allocated) does
/// nothing, returns <see cref="Errno.EFAULT"/> and is counted in
/// <see cref="MemoryCounters.UseAfterFree"/>, so the oracle can flag DMA to a freed page. A pfn
/// outside the pool is <see cref="Errno.ENXIO"/>. Inspection methods (PageRefCount,
/// PagePinCount, PageDirty, PageGeneration, IsPageLive) never count as a use. An operation that
/// races with the free of its frame may land just before it, as on real hardware; the
/// <see cref="PageGeneration"/> lets a holder detect that the pfn was reused.</para>
/// </remarks>
public sealed partial class FramePool
{
    // Frames that were never allocated read as this one: count 0, so every operation refuses
    // it before touching it, and nothing ever writes it (get/pin never raise a zero count).
    private static readonly PageFrame[] s_absent = new PageFrame[1];

    private readonly FrameTable _table = new();
    private readonly Lock _lock = new();
    private long _freeHead = PageFrame.NoFrame;
    private ulong _bump;

    // Written under _lock, read with Volatile.
    private long _allocated;
    private long _freed;
    private long _peak;
    private long _allocFailures;

    // Written with Interlocked from any thread.
    private long _pinnedPages;
    private long _pinsAcquired;
    private long _pinsReleased;
    private long _useAfterFree;
    private long _freedWhilePinned;
    private long _badUnpins;
    private ulong _lastUseAfterFree = ulong.MaxValue;

    internal FramePool(MemoryKind kind, string owner, Pfn basePfn, ulong frames)
    {
        Kind = kind;
        Owner = owner;
        BasePfn = basePfn;
        Frames = frames;
    }

    public MemoryKind Kind { get; }

    /// <summary>Who owns the memory: "System RAM" or the device's name.</summary>
    public string Owner { get; }

    /// <summary>First pfn of the pool.</summary>
    public Pfn BasePfn { get; }

    /// <summary>Capacity in frames.</summary>
    public ulong Frames { get; }

    public ulong CapacityBytes => Frames << PageSize.BaseShift;

    /// <summary>One past the last pfn of the pool.</summary>
    public Pfn EndPfn => new(BasePfn.Value + Frames);

    public bool Contains(Pfn pfn) => pfn.Value - BasePfn.Value < Frames;

    /// <summary>Frames backed by storage; grows by 256-frame chunks as pages are first allocated.</summary>
    public long MaterializedFrames => _table.MaterializedFrames;

    /// <summary>Managed memory held for frame records (what "lazy" saves).</summary>
    public long MaterializedBytes => _table.MaterializedBytes;

    /// <summary>The last pfn an operation found free, or null if none did.</summary>
    public Pfn? LastUseAfterFree
    {
        get
        {
            var v = Volatile.Read(ref _lastUseAfterFree);
            return v == ulong.MaxValue ? null : new Pfn(v);
        }
    }

    public MemoryCounters Counters
    {
        get
        {
            lock (_lock)
            {
                return new MemoryCounters(
                    _allocated,
                    _freed,
                    _peak,
                    Volatile.Read(ref _pinnedPages),
                    Volatile.Read(ref _pinsAcquired),
                    Volatile.Read(ref _pinsReleased),
                    _allocFailures,
                    Volatile.Read(ref _useAfterFree),
                    Volatile.Read(ref _freedWhilePinned),
                    Volatile.Read(ref _badUnpins));
            }
        }
    }

    /// <summary>
    /// alloc_page(): one zeroed page with a reference count of 1, or <see cref="Errno.ENOMEM"/>
    /// (and no change but the failure counter) when every frame is in use.
    /// </summary>
    public Errno AllocPage(out Pfn pfn)
    {
        lock (_lock)
        {
            if (TakeFrameLocked(out var index))
            {
                pfn = new Pfn(BasePfn.Value + index);
                return Errno.None;
            }
            _allocFailures++;
        }
        pfn = default;
        return Errno.ENOMEM;
    }

    /// <summary>
    /// alloc_pages_bulk(): fills <paramref name="pfns"/> from the front under one lock and returns
    /// how many pages it got; fewer than requested means the pool ran out (counted as one failure).
    /// </summary>
    public int AllocPages(Span<Pfn> pfns)
    {
        lock (_lock)
        {
            for (var i = 0; i < pfns.Length; i++)
            {
                if (!TakeFrameLocked(out var index))
                {
                    _allocFailures++;
                    return i;
                }
                pfns[i] = new Pfn(BasePfn.Value + index);
            }
        }
        return pfns.Length;
    }

    // Pops the free list, else extends the touched prefix. Resets the frame and publishes its
    // count of one last, so a racing lock-free reader never sees a live frame with stale state.
    private bool TakeFrameLocked(out ulong index)
    {
        ref var frame = ref Unsafe.NullRef<PageFrame>();
        if (_freeHead != PageFrame.NoFrame)
        {
            index = (ulong)_freeHead;
            frame = ref _table.Find(index);
            _freeHead = frame.NextFree;
        }
        else if (_bump < Frames)
        {
            index = _bump++;
            frame = ref _table.Materialize(index);
        }
        else
        {
            index = 0;
            return false;
        }
        frame.NextFree = PageFrame.NoFrame;
        frame.Contents = 0;
        Volatile.Write(ref frame.Flags, 0);
        Volatile.Write(ref frame.PinCount, 0);
        frame.Generation++;
        Volatile.Write(ref frame.RefCount, 1);
        _allocated++;
        var live = _allocated - _freed;
        if (live > _peak) _peak = live;
        return true;
    }

    // __free_page() after the last put: called only by the thread whose CAS took the count to
    // zero, so the frame is private to it until it is linked into the free list.
    private void FreeFrame(ulong index, ref PageFrame frame)
    {
        var pins = Interlocked.Exchange(ref frame.PinCount, 0);
        if (pins != 0)
        {
            Interlocked.Increment(ref _freedWhilePinned);
            Interlocked.Decrement(ref _pinnedPages);
        }
        Volatile.Write(ref frame.Flags, 0);
        lock (_lock)
        {
            frame.NextFree = _freeHead;
            _freeHead = (long)index;
            _freed++;
        }
    }

    // The frame for a pfn of this pool (the shared absent frame if never materialised), or a
    // null ref with ENXIO if the pfn is not in the pool.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref PageFrame Resolve(Pfn pfn, out ulong index)
    {
        index = pfn.Value - BasePfn.Value;
        if (index >= Frames) return ref Unsafe.NullRef<PageFrame>();
        ref var frame = ref _table.Find(index);
        if (Unsafe.IsNullRef(ref frame)) return ref s_absent[0];
        return ref frame;
    }

    private Errno UseAfterFree(Pfn pfn)
    {
        Interlocked.Increment(ref _useAfterFree);
        Volatile.Write(ref _lastUseAfterFree, pfn.Value);
        return Errno.EFAULT;
    }

    public override string ToString() =>
        $"{Owner} ({Kind}) pfn {AddressFormat.Hex(BasePfn.Value)}..{AddressFormat.Hex(EndPfn.Value)}";
}
