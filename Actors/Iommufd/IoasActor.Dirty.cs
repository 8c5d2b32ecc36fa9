using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommufd;

// Dirty tracking (seed 004): iopt_set_dirty_tracking and iopt_read_and_clear_dirty_data.
public sealed partial class IoasActor
{
    private long _nextReadTag;

    /// <summary>
    /// iopt_set_dirty_tracking: ENOENT for a domain not attached here; EOPNOTSUPP for a domain
    /// without dirty_ops; else the domain clears every dirty bit (when enabling), switches and
    /// syncs its IOTLB before the answer.
    /// </summary>
    private void OnSetDirtyTracking(IoasSetDirtyTracking set)
    {
        if (Attached(set.Domain) is not { } domain)
        {
            Finish(new Done(Errno.ENOENT));
            return;
        }
        if (!domain.DirtySupported)
        {
            Finish(new Done(Errno.EOPNOTSUPP));
            return;
        }
        Call(domain.Ref, new IommuSetDirtyTracking(set.Enable), reply =>
        {
            if (reply.Errno == Errno.None) domain.Tracking = set.Enable;
            Finish(new Done(reply.Errno));
        });
    }

    /// <summary>
    /// iopt_read_and_clear_dirty_data (seed 004) with today's iommufd_check_iova_range. Checks, in
    /// order, each changing nothing: EOPNOTSUPP for unknown flags (iommufd_hwpt_get_dirty_bitmap);
    /// ENOENT for a domain not attached here; EOVERFLOW when the range wraps; EINVAL when it is not
    /// aligned to the IOVA alignment, for a zero page size or a range not aligned to it (the model
    /// also refuses a zero length and a page size that is not a power of two of at least 4 KiB);
    /// ENOENT when the range is not exactly covered by areas (the seed's iopt_find_exact_area,
    /// widened as today's kernel walks contiguous areas: the range must start at an area's first
    /// IOVA, end at an area's last, with no hole between; today's __iommu_read_and_clear_dirty
    /// answers such a gap with -EINVAL, which iommu_read_and_clear_dirty then drops, a quirk the
    /// model does not copy); EFAULT for a buffer too short for the
    /// range. Then the domains: with none given every attached one is read into the same bitmap in
    /// turn, and with none attached the answer is the seed's initial EOPNOTSUPP. Every domain to be
    /// read is checked before any is read (EOPNOTSUPP without dirty_ops, EINVAL with tracking off),
    /// so a refused read clears no bit: the seed's loop would have cleared the bits of the domains
    /// before the failing one and returned the error.
    /// </summary>
    private void OnGetDirtyBitmap(IoasGetDirtyBitmap read)
    {
        var error = CheckDirtyBitmap(read, out var targets);
        ulong[] data = [];
        if (error == Errno.None)
        {
            var words = IovaBitmap.WordsFor(read.Length, new PageSize(System.Numerics.BitOperations.TrailingZeroCount(read.PageSize)));
            if (read.Data is { } buffer) error = buffer.Length < words ? Errno.EFAULT : Errno.None;
            data = read.Data ?? new ulong[words];
        }
        if (error != Errno.None)
        {
            Finish(new IoasDirtyBitmap(error, null, 0, 0, 0));
            return;
        }
        var noClear = (read.Flags & DirtyBitmapFlags.NoClear) != 0;
        var tag = ++_nextReadTag;
        long chunks = 0, leaves = 0;
        ForEach(targets, (domain, next) => Call(domain.Ref, new IommuReadAndClearDirty(read.Iova, read.Length, read.PageSize, data, noClear, tag), reply =>
        {
            if (reply is IommuDirtyRead r)
            {
                chunks += r.Chunks;
                leaves += r.DirtyLeaves;
            }
            next(reply.Errno);
        }), (readError, domains) =>
        {
            if (readError == Errno.None && Tracing(typeof(DirtyBitmapReported)))
                Trace(new DirtyBitmapReported(Self, tag, AddressRange.FromLength(read.Iova.Value, read.Length), read.PageSize,
                    DirtyRuns(read.Iova.Value, read.Length, read.PageSize, data)));
            Finish(readError == Errno.None
                ? new IoasDirtyBitmap(Errno.None, data, chunks, leaves, domains)
                : new IoasDirtyBitmap(readError, null, chunks, leaves, domains));
        });
    }

    private Errno CheckDirtyBitmap(IoasGetDirtyBitmap read, out List<AttachedDomain> targets)
    {
        targets = [];
        if ((read.Flags & ~DirtyBitmapFlags.NoClear) != 0) return Errno.EOPNOTSUPP;
        AttachedDomain? given = null;
        if (read.Domain is { } d && (given = Attached(d)) is null) return Errno.ENOENT;

        // iommufd_check_iova_range
        if (read.Length == 0) return Errno.EINVAL;
        if (!AddressFormat.IsValidRange(read.Iova.Value, read.Length)) return Errno.EOVERFLOW;
        var end = read.Iova.Value + read.Length; // 2^64 wraps to 0, aligned to everything
        if (((read.Iova.Value | end) & (_iovaAlignment - 1)) != 0) return Errno.EINVAL;
        if (!PageSize.TryFromBytes(read.PageSize, out var pageSize)) return Errno.EINVAL;
        if (((read.Iova.Value | end) & (pageSize.Bytes - 1)) != 0) return Errno.EINVAL;

        if (!ExactlyCovered(IovaRange.FromLength(read.Iova.Value, read.Length))) return Errno.ENOENT;

        targets = given is not null ? [given] : [.. _domains];
        if (targets.Count == 0) return Errno.EOPNOTSUPP;
        if (targets.Any(t => !t.DirtySupported)) return Errno.EOPNOTSUPP;
        if (targets.Any(t => !t.Tracking)) return Errno.EINVAL;
        return Errno.None;
    }

    /// <summary>Whether contiguous areas cover exactly [Start, Last]: the first starts at Start, each next one right after, the last ends at Last.</summary>
    private bool ExactlyCovered(IovaRange range)
    {
        var at = range.Start;
        foreach (var area in _areas.Values)
        {
            if (area.Iova.Last < range.Start) continue;
            if (area.Iova.Start != at) return false;
            if (area.Iova.Last == range.Last) return true;
            if (area.Iova.Last > range.Last) return false;
            at = area.Iova.Last + 1;
        }
        return false;
    }

    /// <summary>The runs of set bits of a bitmap as IOVA ranges, for the trace.</summary>
    private static List<AddressRange> DirtyRuns(ulong iova, ulong length, ulong pageSize, ulong[] data)
    {
        var runs = new List<AddressRange>();
        var bits = (long)((length - 1) / pageSize) + 1;
        long start = -1;
        for (long bit = 0; bit <= bits; bit++)
        {
            var set = bit < bits && (data[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
            if (set && start < 0) start = bit;
            if (!set && start >= 0)
            {
                runs.Add(new AddressRange(iova + (ulong)start * pageSize, Math.Min(iova + (ulong)bit * pageSize, iova + length)));
                start = -1;
            }
        }
        return runs;
    }
}
