using System.Numerics;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;

namespace IommuSim.Actors.Iommufd;

// The IOVA space of an io_pagetable: allowed ranges (IOMMU_IOAS_ALLOW_IOVAS), reserved ranges
// (domain apertures, devices' reserved regions), the IOVA alignment, and the checks and the
// allocator of drivers/iommu/iommufd/io_pagetable.c.
public sealed partial class IoasActor
{
    /// <summary>A reserved range and who reserved it (a domain for its aperture, or an owner's name).</summary>
    private readonly record struct Reservation(IovaRange Range, object Owner);

    /// <summary>Sorted by start, never overlapping one another (iommufd_ioas_load_iovas refuses overlaps).</summary>
    private readonly List<IovaRange> _allowed = [];
    private readonly List<Reservation> _reserved = [];

    /// <summary>iopt->iova_alignment: 1 for a table without domains, else the largest smallest-page of its domains.</summary>
    private ulong _iovaAlignment = 1;

    private const ulong PageBytes = 1UL << PageSize.BaseShift;

    /// <summary>HPAGE_SIZE: iopt_alloc_iova never aligns an IOVA beyond it (CONFIG_TRANSPARENT_HUGEPAGE).</summary>
    private const ulong HugePageBytes = 2UL << 20;

    private bool AnyArea(IovaRange range) => _areas.Values.Any(a => a.Iova.Overlaps(range));

    private bool AnyReserved(IovaRange range) => _reserved.Any(r => r.Range.Overlaps(range));

    private bool AnyAllowed(IovaRange range) => _allowed.Any(a => a.Overlaps(range));

    /// <summary>
    /// iommufd_ioas_load_iovas + iopt_set_allow_iova: EINVAL for a range with start after last or
    /// for two ranges that overlap; EADDRINUSE when a range intersects a reserved one. Areas
    /// outside the new ranges stay: allowed ranges only steer allocation and reservation.
    /// </summary>
    private Errno SetAllowedIovas(IReadOnlyList<IovaRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            if (!sorted[i].IsValid) return Errno.EINVAL;
            if (i > 0 && sorted[i - 1].Overlaps(sorted[i])) return Errno.EINVAL;
        }
        if (sorted.Any(AnyReserved)) return Errno.EADDRINUSE;
        _allowed.Clear();
        _allowed.AddRange(sorted);
        return Errno.None;
    }

    /// <summary>iopt_reserve_iova: EADDRINUSE when an area or an allowed range intersects the range; EINVAL for start after last.</summary>
    private Errno Reserve(IovaRange range, object owner)
    {
        if (!range.IsValid) return Errno.EINVAL;
        if (AnyArea(range) || AnyAllowed(range)) return Errno.EADDRINUSE;
        _reserved.Add(new Reservation(range, owner));
        return Errno.None;
    }

    /// <summary>__iopt_remove_reserved_iova: every reservation of the owner goes.</summary>
    private void RemoveReserved(object owner) => _reserved.RemoveAll(r => r.Owner.Equals(owner));

    /// <summary>iommufd_ioas_iova_ranges: the spans between reserved ranges, all of [0, ULONG_MAX] when none.</summary>
    private IovaRange[] UsableRanges()
    {
        var usable = new List<IovaRange>();
        var next = 0UL;
        var done = false;
        foreach (var r in MergedReservations())
        {
            if (r.Start > next) usable.Add(new IovaRange(next, r.Start - 1));
            if (r.Last == ulong.MaxValue)
            {
                done = true;
                break;
            }
            next = Math.Max(next, r.Last + 1);
        }
        if (!done) usable.Add(new IovaRange(next, ulong.MaxValue));
        return [.. usable];
    }

    /// <summary>The reserved ranges merged into disjoint ones, in order.</summary>
    private List<IovaRange> MergedReservations() => Merge(_reserved.Select(r => r.Range));

    private static List<IovaRange> Merge(IEnumerable<IovaRange> ranges)
    {
        var merged = new List<IovaRange>();
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && (merged[^1].Last == ulong.MaxValue || r.Start <= merged[^1].Last + 1))
            {
                if (r.Last > merged[^1].Last) merged[^1] = merged[^1] with { Last = r.Last };
                continue;
            }
            merged.Add(r);
        }
        return merged;
    }

    /// <summary>
    /// iopt_check_iova for a fixed IOVA: EINVAL when the IOVA is not aligned, EOVERFLOW when the
    /// range wraps, EINVAL when it intersects a reserved range, EEXIST when it intersects an area.
    /// Allowed ranges are not consulted: they steer only the allocator.
    /// </summary>
    private Errno CheckIova(ulong iova, ulong length)
    {
        if ((iova & (_iovaAlignment - 1)) != 0) return Errno.EINVAL;
        if (!AddressFormat.IsValidRange(iova, length)) return Errno.EOVERFLOW;
        var range = IovaRange.FromLength(iova, length);
        if (AnyReserved(range)) return Errno.EINVAL;
        if (AnyArea(range)) return Errno.EEXIST;
        return Errno.None;
    }

    /// <summary>
    /// iopt_alloc_iova: the first hole, inside an allowed range (or [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]
    /// when there is none), between reserved ranges and areas, that holds the length at an IOVA
    /// aligned to the smaller of the length rounded up to a power of two and the user address's own
    /// alignment (capped at HPAGE_SIZE, so that THP-backed memory can take huge IOPTEs), plus the
    /// user address's offset in its page. Never IOVA 0. EOVERFLOW for a length of half the space
    /// or more, EINVAL when that alignment is below the IOAS's, ENOSPC when no hole fits.
    /// </summary>
    private Errno AllocIova(ulong userAddress, ulong length, out ulong iova)
    {
        iova = 0;
        if (length == 0 || length >= ulong.MaxValue / 2) return Errno.EOVERFLOW;
        var roundUp = BitOperations.RoundUpToPowerOf2(length);
        var alignment = userAddress == 0 ? roundUp : Math.Min(roundUp, 1UL << BitOperations.TrailingZeroCount(userAddress));
        if (alignment >= HugePageBytes) alignment = HugePageBytes;
        if (alignment < _iovaAlignment) return Errno.EINVAL;
        var pageOffset = userAddress % PageBytes;

        // interval_tree_for_each_span(allowed, PAGE_SIZE, ULONG_MAX - PAGE_SIZE): the allowed
        // ranges clipped to that window, or the whole window when none is set.
        var window = new IovaRange(PageBytes, ulong.MaxValue - PageBytes);
        IEnumerable<IovaRange> spans = _allowed.Count == 0 ? [window] : _allowed
            .Where(a => a.Overlaps(window))
            .Select(a => new IovaRange(Math.Max(a.Start, window.Start), Math.Min(a.Last, window.Last)));
        var used = Merge(_reserved.Select(r => r.Range).Concat(_areas.Values.Select(a => a.Iova)));
        foreach (var span in spans)
        {
            var start = span.Start;
            var exhausted = false;
            foreach (var u in used)
            {
                if (u.Last < start) continue;
                if (u.Start > span.Last) break;
                if (u.Start > start && TryFit(start, u.Start - 1, length, alignment, pageOffset, out iova)) return Errno.None;
                if (u.Last >= span.Last)
                {
                    exhausted = true;
                    break;
                }
                start = u.Last + 1;
            }
            if (!exhausted && TryFit(start, span.Last, length, alignment, pageOffset, out iova)) return Errno.None;
        }
        return Errno.ENOSPC;
    }

    /// <summary>
    /// __alloc_iova_check_range: the hole [start, last] fits when ALIGN_UP(start) | page_offset
    /// leaves length bytes before last. Like the kernel it refuses a start equal to last.
    /// </summary>
    private static bool TryFit(ulong start, ulong last, ulong length, ulong alignment, ulong pageOffset, out ulong iova)
    {
        iova = 0;
        if (start > ulong.MaxValue - (alignment - 1)) return false;
        var aligned = ((start + alignment - 1) & ~(alignment - 1)) | pageOffset;
        if (aligned >= last || last - aligned < length - 1) return false;
        iova = aligned;
        return true;
    }

    /// <summary>
    /// iopt_check_iova_alignment: every area's IOVA, length and page offset must be aligned to a
    /// larger IOVA alignment a new domain brings, else EADDRINUSE.
    /// </summary>
    private Errno CheckAreasAligned(ulong alignment)
    {
        var mask = alignment - 1;
        return _areas.Values.Any(a => ((a.Iova.Start | a.Length | a.PageOffset) & mask) != 0) ? Errno.EADDRINUSE : Errno.None;
    }
}
