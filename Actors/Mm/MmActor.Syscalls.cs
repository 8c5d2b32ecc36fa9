using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// mmap(2), munmap(2), mprotect(2) of anonymous memory (mm/mmap.c, mm/vma.c, mm/mprotect.c).
public sealed partial class MmActor
{
    private const Prot ValidProt = Prot.Read | Prot.Write;

    private void OnMmap(Mmap m, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new MmapReply(Errno.ESRCH, default), Self);
            return;
        }
        if (m.Length == 0 || (m.Prot & ~ValidProt) != 0 || !Enum.IsDefined(m.Kind))
        {
            replyTo.Tell(new MmapReply(Errno.EINVAL, default), Self);
            return;
        }
        // do_mmap: len = PAGE_ALIGN(len); if (!len) return -ENOMEM.
        if (!TryPageAlignLength(m.Length, out var length) || length == 0)
        {
            replyTo.Tell(new MmapReply(Errno.ENOMEM, default), Self);
            return;
        }
        if (m.Fixed is not { } fixedAt)
        {
            if (!TryFindFreeRange(length, out var start))
            {
                replyTo.Tell(new MmapReply(Errno.ENOMEM, default), Self);
                return;
            }
            InsertVma(new Vma(start, start + length, m.Prot, m.Kind, NewOrigin()));
            replyTo.Tell(new MmapReply(Errno.None, new VirtAddr(start)), Self);
            return;
        }
        var at = fixedAt.Value;
        if (!PageSize.Size4K.IsAligned(at))
        {
            replyTo.Tell(new MmapReply(Errno.EINVAL, default), Self);
            return;
        }
        // get_unmapped_area: if (len > TASK_SIZE - addr) return -ENOMEM.
        if (at >= _options.TaskSize || length > _options.TaskSize - at)
        {
            replyTo.Tell(new MmapReply(Errno.ENOMEM, default), Self);
            return;
        }
        var end = at + length;
        var vma = new Vma(at, end, m.Prot, m.Kind, NewOrigin());
        var overlap = MappedPieces(at, end);
        if (overlap.Count == 0)
        {
            InsertVma(vma);
            replyTo.Tell(new MmapReply(Errno.None, fixedAt), Self);
            return;
        }
        // MAP_FIXED over existing mappings unmaps them first (do_vmi_munmap inside mmap_region).
        Invalidate(
            Ranges(overlap, InvalidationEvent.Munmap),
            () =>
            {
                ZapRange(at, end);
                InsertVma(vma);
            },
            () => replyTo.Tell(new MmapReply(Errno.None, fixedAt), Self));
    }

    private void OnMunmap(Munmap m, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new Done(Errno.ESRCH), Self);
            return;
        }
        var start = m.Address.Value;
        // do_vmi_munmap: offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start -> EINVAL; len == 0 -> EINVAL.
        if (!PageSize.Size4K.IsAligned(start) || m.Length == 0 || !TryPageAlignLength(m.Length, out var length)
            || start > _options.TaskSize || length > _options.TaskSize - start)
        {
            replyTo.Tell(new Done(Errno.EINVAL), Self);
            return;
        }
        var end = start + length;
        var pieces = MappedPieces(start, end);
        if (pieces.Count == 0)
        {
            replyTo.Tell(Done.Ok, Self);
            return;
        }
        Invalidate(Ranges(pieces, InvalidationEvent.Munmap), () => ZapRange(start, end), () => replyTo.Tell(Done.Ok, Self));
    }

    /// <summary>
    /// mprotect(2). Removing write makes a WRITE_PROTECT invalidation and write-protects the
    /// ptes; removing read (PROT_NONE) makes a MUNMAP invalidation, because a device must keep
    /// no mapping at all of memory the process cannot read (the kernel sends the same
    /// MMU_NOTIFY_PROTECTION_VMA for both and drivers unmap; DESIGN.md's HMM domains only unmap
    /// on MUNMAP and MIGRATE). Adding permissions needs no invalidation: ptes stay read-only and
    /// the next write fault upgrades them.
    /// </summary>
    private void OnMprotect(Mprotect m, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new Done(Errno.ESRCH), Self);
            return;
        }
        var start = m.Address.Value;
        if ((m.Prot & ~ValidProt) != 0 || !PageSize.Size4K.IsAligned(start))
        {
            replyTo.Tell(new Done(Errno.EINVAL), Self);
            return;
        }
        if (m.Length == 0)
        {
            replyTo.Tell(Done.Ok, Self);
            return;
        }
        // do_mprotect_pkey: end = start + PAGE_ALIGN(len); if (end <= start) return -ENOMEM; a hole -> ENOMEM.
        if (!TryPageAlignLength(m.Length, out var length) || start + length <= start || !FullyCovered(start, start + length))
        {
            replyTo.Tell(new Done(Errno.ENOMEM), Self);
            return;
        }
        var end = start + length;
        var removesRead = false;
        var removesWrite = false;
        foreach (var v in VmasIn(start, end))
        {
            removesRead |= v.CanRead && (m.Prot & Prot.Read) == 0;
            removesWrite |= v.CanWrite && (m.Prot & Prot.Write) == 0;
        }
        void Apply()
        {
            SplitAt(start);
            SplitAt(end);
            foreach (var v in VmasIn(start, end)) v.Prot = m.Prot;
            if (removesRead || removesWrite) WriteProtectPtes(start, end);
            MergeAround(start, end);
        }
        if (!removesRead && !removesWrite)
        {
            Apply();
            replyTo.Tell(Done.Ok, Self);
            return;
        }
        var evt = removesRead ? InvalidationEvent.Munmap : InvalidationEvent.WriteProtect;
        Invalidate([new InvalidationRange(new AddressRange(start, end), evt)], Apply, () => replyTo.Tell(Done.Ok, Self));
    }

    /// <summary>change_pte_range with the write bit removed; device-exclusive entries are restored read-only.</summary>
    private void WriteProtectPtes(ulong start, ulong end)
    {
        // Changing present entries in place is allowed while iterating the table.
        foreach (var (vpn, pte) in _pt.Range(Vpn(start), Vpn(end - 1) + 1))
        {
            _pt.Set(vpn, pte.Kind switch
            {
                CpuPteKind.Exclusive => CpuPte.Frame(pte.Pfn, false),
                CpuPteKind.Zero => pte,
                _ => pte with { Writable = false },
            });
        }
    }

    /// <summary>zap_page_range + the VMA removal of munmap: puts every page of [start, end) and drops the VMAs there.</summary>
    private void ZapRange(ulong start, ulong end)
    {
        var trace = Tracing;
        foreach (var vpn in PresentVpns(start, end))
        {
            _pt.Remove(vpn, out var pte);
            ReleasePte(pte, trace);
        }
        RemoveVmas(start, end);
    }

    private static List<InvalidationRange> Ranges(List<AddressRange> pieces, InvalidationEvent evt)
    {
        var list = new List<InvalidationRange>(pieces.Count);
        foreach (var p in pieces) list.Add(new InvalidationRange(p, evt));
        return list;
    }
}
