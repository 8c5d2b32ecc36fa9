using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Memory;

// Page contents and the dirty flag. Every access checks that the frame is live first; the
// contents word is accessed with Volatile so a DMA write on one thread and a CPU read on
// another never see a torn value.
public sealed partial class FramePool
{
    /// <summary>SetPageDirty() / set_page_dirty(). <see cref="Errno.EFAULT"/> on a free frame.</summary>
    public Errno SetPageDirty(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        if (Volatile.Read(ref frame.RefCount) <= 0) return UseAfterFree(pfn);
        Interlocked.Or(ref frame.Flags, PageFrame.DirtyFlag);
        return Errno.None;
    }

    /// <summary>
    /// TestClearPageDirty() / clear_page_dirty_for_io(): atomically reads and clears the flag,
    /// so two concurrent writeback passes never both see the same dirtying.
    /// </summary>
    public Errno TestClearPageDirty(Pfn pfn, out bool wasDirty)
    {
        wasDirty = false;
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        if (Volatile.Read(ref frame.RefCount) <= 0) return UseAfterFree(pfn);
        wasDirty = (Interlocked.And(ref frame.Flags, ~PageFrame.DirtyFlag) & PageFrame.DirtyFlag) != 0;
        return Errno.None;
    }

    /// <summary>PageDirty(): inspection only, false for a free frame.</summary>
    public bool PageDirty(Pfn pfn)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame) || Volatile.Read(ref frame.RefCount) <= 0) return false;
        return (Volatile.Read(ref frame.Flags) & PageFrame.DirtyFlag) != 0;
    }

    /// <summary>Reads the page's contents word. <see cref="Errno.EFAULT"/> on a free frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Errno ReadPage(Pfn pfn, out ulong value)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame))
        {
            value = 0;
            return Errno.ENXIO;
        }
        if (Volatile.Read(ref frame.RefCount) <= 0)
        {
            value = 0;
            return UseAfterFree(pfn);
        }
        value = Volatile.Read(ref frame.Contents);
        return Errno.None;
    }

    /// <summary>
    /// Writes the page's contents word (a CPU store or a device DMA write). Does not set the
    /// dirty flag: as in the kernel, whoever let the writer in marks the page dirty.
    /// <see cref="Errno.EFAULT"/> on a free frame.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Errno WritePage(Pfn pfn, ulong value)
    {
        ref var frame = ref Resolve(pfn, out _);
        if (Unsafe.IsNullRef(ref frame)) return Errno.ENXIO;
        if (Volatile.Read(ref frame.RefCount) <= 0) return UseAfterFree(pfn);
        Volatile.Write(ref frame.Contents, value);
        return Errno.None;
    }
}
