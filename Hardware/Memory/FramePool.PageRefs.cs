using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Memory;

// Reference counts and pins (include/linux/mm.h get_page/put_page, mm/gup.c pin_user_pages /
// unpin_user_page). A pin is a FOLL_PIN reference: it raises the pin count and holds one page
// reference, so a pinned page cannot be freed by puts that match earlier gets.
public sealed partial class FramePool
{
    /// <summary>
    /// get_page() on a page the caller can reach: +1 reference. A free frame cannot be revived
    /// (get_page_unless_zero semantics): <see cref="Errno.EFAULT"/>, counted as a use after free.
    /// <see cref="Errno.EOVERFLOW"/> if the count would overflow (try_get_page refuses too).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Errno GetPage(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        return TryGetRef(ref frame) ? Errno.None : RefusedGet(pfn, ref frame);
    }

    /// <summary>
    /// put_page(): -1 reference; the page goes back to the allocator when the count reaches 0.
    /// A put on a free frame is <see cref="Errno.EFAULT"/>, counted as a use after free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Errno PutPage(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out var index);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        var old = Volatile.Read(ref frame.RefCount);
        while (true)
        {
            if (old <= 0) return UseAfterFree(pfn);
            var seen = Interlocked.CompareExchange(ref frame.RefCount, old - 1, old);
            if (seen == old) break;
            old = seen;
        }
        if (old == 1) FreeFrame(index, ref frame);
        return Errno.None;
    }

    /// <summary>
    /// Pins one page as pin_user_pages() does (try_grab_folio with FOLL_PIN): +1 pin and +1
    /// reference. Pinning a free frame is <see cref="Errno.EFAULT"/> (use after free).
    /// </summary>
    public Errno PinPage(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        if (!TryGetRef(ref frame)) return RefusedGet(pfn, ref frame);
        if (Interlocked.Increment(ref frame.PinCount) == 1) Interlocked.Increment(ref _pinnedPages);
        Interlocked.Increment(ref _pinsAcquired);
        return Errno.None;
    }

    /// <summary>
    /// unpin_user_page(): -1 pin and -1 reference (which may free the page). Unpinning a live
    /// page with no pin is <see cref="Errno.EINVAL"/> and changes nothing (counted in
    /// <see cref="MemoryCounters.BadUnpins"/>); a free frame is <see cref="Errno.EFAULT"/>.
    /// </summary>
    public Errno UnpinPage(Pfn pfn) => UnpinPageDirty(pfn, makeDirty: false);

    /// <summary>
    /// unpin_user_pages_dirty_lock() for one page: marks it dirty first when
    /// <paramref name="makeDirty"/> (the device may have written it), then unpins.
    /// </summary>
    public Errno UnpinPageDirty(Pfn pfn, bool makeDirty)
    {
        ref var frame = ref Resolve(pfn, out var index);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        if (Volatile.Read(ref frame.RefCount) <= 0) return UseAfterFree(pfn);
        var pins = Volatile.Read(ref frame.PinCount);
        while (true)
        {
            if (pins <= 0)
            {
                Interlocked.Increment(ref _badUnpins);
                return Errno.EINVAL;
            }
            var seen = Interlocked.CompareExchange(ref frame.PinCount, pins - 1, pins);
            if (seen == pins) break;
            pins = seen;
        }
        if (pins == 1) Interlocked.Decrement(ref _pinnedPages);
        Interlocked.Increment(ref _pinsReleased);
        if (makeDirty) Interlocked.Or(ref frame.Flags, PageFrame.DirtyFlag);
        // The pin held a reference, so this put cannot find the count at zero.
        if (Interlocked.Decrement(ref frame.RefCount) == 0) FreeFrame(index, ref frame);
        return Errno.None;
    }

    /// <summary>page_ref_count(): 0 for a free frame or a pfn outside the pool.</summary>
    public int PageRefCount(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        return Unsafe.IsNullRef(ref frame) ? 0 : Math.Max(0, Volatile.Read(ref frame.RefCount));
    }

    /// <summary>The FOLL_PIN count (folio_maybe_dma_pinned() is "PagePinCount(pfn) > 0").</summary>
    public int PagePinCount(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        return Unsafe.IsNullRef(ref frame) ? 0 : Volatile.Read(ref frame.PinCount);
    }

    /// <summary>Whether the frame is allocated (reference count above zero).</summary>
    public bool IsPageLive(Pfn pfn) => PageRefCount(pfn) > 0;

    /// <summary>
    /// How many times the frame has been allocated (0 if never). Holders that record it at
    /// allocation can tell a page that was freed and reused from their own.
    /// </summary>
    public int PageGeneration(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        return Unsafe.IsNullRef(ref frame) ? 0 : Volatile.Read(ref frame.Generation);
    }

    // atomic_inc_not_zero on the reference count; false if the frame is free or saturated.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryGetRef(ref PageFrame frame)
    {
        var old = Volatile.Read(ref frame.RefCount);
        while (old > 0 && old < int.MaxValue)
        {
            var seen = Interlocked.CompareExchange(ref frame.RefCount, old + 1, old);
            if (seen == old) return true;
            old = seen;
        }
        return false;
    }

    private Errno RefusedGet(Pfn pfn, ref PageFrame frame) =>
        Volatile.Read(ref frame.RefCount) == int.MaxValue ? Errno.EOVERFLOW : UseAfterFree(pfn);
}
