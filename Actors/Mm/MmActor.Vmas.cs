using IommuSim.Messages;

namespace IommuSim.Actors.Mm;

// The VMA list: lookup, split, remove, insert, merge and the free-range search
// (find_vma / vma_lookup, __split_vma, vma_merge, get_unmapped_area).
public sealed partial class MmActor
{
    /// <summary>vma_lookup(): the VMA containing <paramref name="addr"/>, or null.</summary>
    private Vma? FindVma(ulong addr)
    {
        var i = IndexAtOrAfter(addr);
        return i < _vmas.Count && _vmas[i].Start <= addr ? _vmas[i] : null;
    }

    // Index of the first VMA whose End is above addr (the one containing addr, or the next).
    private int IndexAtOrAfter(ulong addr)
    {
        int lo = 0, hi = _vmas.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_vmas[mid].End <= addr) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The VMAs overlapping [start, end), in address order.</summary>
    private List<Vma> VmasIn(ulong start, ulong end)
    {
        var list = new List<Vma>();
        for (var i = IndexAtOrAfter(start); i < _vmas.Count && _vmas[i].Start < end; i++) list.Add(_vmas[i]);
        return list;
    }

    /// <summary>Whether VMAs cover every byte of [start, end) with no hole.</summary>
    private bool FullyCovered(ulong start, ulong end)
    {
        var at = start;
        for (var i = IndexAtOrAfter(start); i < _vmas.Count && at < end; i++)
        {
            var v = _vmas[i];
            if (v.Start > at) return false;
            at = v.End;
        }
        return at >= end;
    }

    /// <summary>__split_vma(): makes <paramref name="addr"/> a VMA boundary if it falls inside one.</summary>
    private void SplitAt(ulong addr)
    {
        var i = IndexAtOrAfter(addr);
        if (i >= _vmas.Count) return;
        var v = _vmas[i];
        if (v.Start >= addr) return;
        var tail = v.CloneRange(addr, v.End);
        v.End = addr;
        _vmas.Insert(i + 1, tail);
    }

    /// <summary>Removes the VMA pieces inside [start, end), splitting the ones that cross its ends.</summary>
    private void RemoveVmas(ulong start, ulong end)
    {
        SplitAt(start);
        SplitAt(end);
        var i = IndexAtOrAfter(start);
        var n = 0;
        while (i + n < _vmas.Count && _vmas[i + n].End <= end) n++;
        _vmas.RemoveRange(i, n);
    }

    /// <summary>Inserts a VMA into a free range (the caller removed what was there) and merges it with compatible neighbours.</summary>
    private void InsertVma(Vma vma)
    {
        var i = IndexAtOrAfter(vma.Start);
        _vmas.Insert(i, vma);
        MergeAround(vma.Start, vma.End);
    }

    /// <summary>
    /// vma_merge(): joins adjacent VMAs of the same origin and protection around [start, end),
    /// so that mprotect there and back, or munmap of a hole and mmap over it, do not leave the
    /// list fragmented.
    /// </summary>
    private void MergeAround(ulong start, ulong end)
    {
        var i = Math.Max(0, IndexAtOrAfter(start) - 1);
        while (i + 1 < _vmas.Count && _vmas[i].Start <= end)
        {
            var a = _vmas[i];
            var b = _vmas[i + 1];
            if (a.End == b.Start && a.Prot == b.Prot && a.Kind == b.Kind && a.Origin == b.Origin)
            {
                a.End = b.End;
                _vmas.RemoveAt(i + 1);
                continue;
            }
            i++;
        }
    }

    /// <summary>
    /// get_unmapped_area(), bottom-up from <see cref="MmOptions.MmapBase"/>: the lowest free
    /// range of <paramref name="length"/> bytes. Anonymous mappings of at least 2 MiB start on a
    /// 2 MiB boundary, as thp_get_unmapped_area aligns them, so that they fill whole leaf
    /// directories of the HMM page table. False (ENOMEM) if no range fits below TASK_SIZE.
    /// </summary>
    private bool TryFindFreeRange(ulong length, out ulong start)
    {
        var align = length >= PageSize.Size2M.Bytes ? PageSize.Size2M : PageSize.Size4K;
        var candidate = align.AlignUp(_options.MmapBase);
        foreach (var v in _vmas)
        {
            if (v.End <= candidate) continue;
            if (candidate + length <= v.Start && candidate + length >= candidate) break;
            candidate = align.AlignUp(v.End);
            if (candidate < v.End) break;
        }
        start = candidate;
        return candidate >= _options.MmapBase && candidate + length >= candidate && candidate + length <= _options.TaskSize;
    }

    private long NewOrigin() => _nextOrigin++;

    /// <summary>The VMA pieces of [start, end) as ranges, for invalidations that cover only what is mapped.</summary>
    private List<AddressRange> MappedPieces(ulong start, ulong end)
    {
        var pieces = new List<AddressRange>();
        foreach (var v in VmasIn(start, end))
        {
            var s = Math.Max(start, v.Start);
            var e = Math.Min(end, v.End);
            if (pieces.Count > 0 && pieces[^1].End == s) pieces[^1] = new AddressRange(pieces[^1].Start, e);
            else pieces.Add(new AddressRange(s, e));
        }
        return pieces;
    }
}
