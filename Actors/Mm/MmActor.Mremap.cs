using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// mremap(2) (mm/mremap.c): shrink in place, grow in place, or move the pages to a new range
// (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP). Moving page-table entries is an
// invalidation of the old range (move_page_tables' MMU_NOTIFY_UNMAP): devices lose their
// mapping of the old addresses and fault the new ones in.
public sealed partial class MmActor
{
    private void OnMremap(Mremap m, IActorRef replyTo)
    {
        void Fail(Errno e) => replyTo.Tell(new MmapReply(e, default), Self);
        if (_exited)
        {
            Fail(Errno.ESRCH);
            return;
        }
        var flags = m.Flags;
        var old = m.OldAddress.Value;
        // Argument checks of the mremap syscall. old_len == 0 (duplicating a shared mapping) is
        // not modelled and refused as EINVAL.
        if ((flags & ~(MremapFlags.MayMove | MremapFlags.Fixed | MremapFlags.DontUnmap)) != 0
            || !PageSize.Size4K.IsAligned(old)
            || ((flags & (MremapFlags.Fixed | MremapFlags.DontUnmap)) != 0 && (flags & MremapFlags.MayMove) == 0)
            || ((flags & MremapFlags.DontUnmap) != 0 && m.OldLength != m.NewLength)
            || m.OldLength == 0 || m.NewLength == 0
            || !TryPageAlignLength(m.OldLength, out var oldLen) || !TryPageAlignLength(m.NewLength, out var newLen)
            || old + oldLen < old)
        {
            Fail(Errno.EINVAL);
            return;
        }
        // vma_to_resize: the old range must lie inside one VMA.
        var vma = FindVma(old);
        if (vma == null || old + oldLen > vma.End)
        {
            Fail(Errno.EFAULT);
            return;
        }
        if ((flags & MremapFlags.Fixed) != 0)
        {
            if (m.NewAddress is not { } na || !PageSize.Size4K.IsAligned(na.Value) || na.Value >= _options.TaskSize
                || newLen > _options.TaskSize - na.Value)
            {
                Fail(Errno.EINVAL);
                return;
            }
            var target = na.Value;
            // mremap_to: the new range may not overlap the old one.
            if (target < old + oldLen && old < target + newLen)
            {
                Fail(Errno.EINVAL);
                return;
            }
            MoveMapping(vma, old, oldLen, target, newLen, (flags & MremapFlags.DontUnmap) != 0, replyTo);
            return;
        }
        if (newLen <= oldLen)
        {
            // Shrinking unmaps the tail (and moves nothing).
            if (newLen == oldLen)
            {
                replyTo.Tell(new MmapReply(Errno.None, m.OldAddress), Self);
                return;
            }
            var tail = MappedPieces(old + newLen, old + oldLen);
            Invalidate(Ranges(tail, InvalidationEvent.Munmap), () => ZapRange(old + newLen, old + oldLen),
                () => replyTo.Tell(new MmapReply(Errno.None, m.OldAddress), Self));
            return;
        }
        // Grow in place when the old range ends its VMA and the space after it is free (vma_expandable).
        var growEnd = old + newLen;
        if (old + oldLen == vma.End && growEnd > old && growEnd <= _options.TaskSize && VmasIn(vma.End, growEnd).Count == 0)
        {
            vma.End = growEnd;
            MergeAround(vma.Start, vma.End);
            replyTo.Tell(new MmapReply(Errno.None, m.OldAddress), Self);
            return;
        }
        if ((flags & MremapFlags.MayMove) == 0 || !TryFindFreeRange(newLen, out var moveTo))
        {
            Fail(Errno.ENOMEM);
            return;
        }
        MoveMapping(vma, old, oldLen, moveTo, newLen, dontUnmap: false, replyTo);
    }

    /// <summary>
    /// move_vma: one MUNMAP invalidation of the destination's old mappings (MREMAP_FIXED) and of
    /// the old range; then the destination is unmapped, a VMA like the old one is made there,
    /// the entries of the old range move (pages keep their references), and the old range is
    /// unmapped, or with MREMAP_DONTUNMAP kept as an empty VMA.
    /// </summary>
    private void MoveMapping(Vma vma, ulong old, ulong oldLen, ulong target, ulong newLen, bool dontUnmap, Runtime.IActorRef replyTo)
    {
        var ranges = Ranges(MappedPieces(target, target + newLen), InvalidationEvent.Munmap);
        ranges.AddRange(Ranges(MappedPieces(old, old + oldLen), InvalidationEvent.Munmap));
        var prot = vma.Prot;
        var kind = vma.Kind;
        var origin = vma.Origin;
        void Apply()
        {
            ZapRange(target, target + newLen);
            var moved = Math.Min(oldLen, newLen);
            var entries = new List<(ulong Vpn, CpuPte Pte)>();
            var trace = Tracing;
            foreach (var vpn in PresentVpns(old, old + oldLen))
            {
                _pt.Remove(vpn, out var pte);
                if (AddrOf(vpn) - old < moved) entries.Add((vpn, pte));
                else ReleasePte(pte, trace);
            }
            var shift = Vpn(target) - Vpn(old);
            foreach (var (vpn, pte) in entries) _pt.Set(vpn + shift, pte);
            // With MREMAP_DONTUNMAP the old VMA stays, empty: its next access faults in fresh pages.
            if (!dontUnmap) RemoveVmas(old, old + oldLen);
            InsertVma(new Vma(target, target + newLen, prot, kind, origin));
        }
        Invalidate(ranges, Apply, () => replyTo.Tell(new MmapReply(Errno.None, new VirtAddr(target)), Self));
    }
}
