using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public sealed partial class IoPageTable
{
    /// <summary>
    /// iommu_dirty_ops.set_dirty_tracking: from now on device writes set IOPTE dirty bits (or stop
    /// setting them). Dirty bits already set are left alone; iommufd clears them by a
    /// read-and-clear without a bitmap before enabling (iopt_clear_dirty_data), and so must the
    /// caller here. EOPNOTSUPP when the hardware has no dirty tracking, as iommufd answers a domain
    /// without dirty_ops.
    /// </summary>
    public Errno SetDirtyTracking(bool enable)
    {
        if (enable && !DirtyTrackingSupported)
            return Errno.EOPNOTSUPP;
        DirtyTracking = enable;
        return Errno.None;
    }

    /// <inheritdoc cref="ReadAndClearDirty(Iova, ulong, IovaBitmap?, bool, IotlbGather?, out long)"/>
    public Errno ReadAndClearDirty(Iova iova, ulong length, IovaBitmap? bitmap, bool noClear = false, IotlbGather? gather = null) =>
        ReadAndClearDirty(iova, length, bitmap, noClear, gather, out _);

    /// <summary>
    /// iommu_dirty_ops.read_and_clear_dirty: walks what is mapped in [iova, iova + length), and for
    /// each leaf whose dirty bit is set records the leaf into <paramref name="bitmap"/>
    /// (iommu_dirty_bitmap_record: a dirty 2 MiB leaf marks all 512 bits of a 4 KiB-granular bitmap,
    /// clamped to the bitmap's range) and adds it to <paramref name="gather"/> with add_range, then
    /// clears the bit unless <paramref name="noClear"/> (IOMMU_DIRTY_NO_CLEAR).
    /// A leaf that straddles the range end is read and cleared whole, as the drivers do: it is one
    /// IOPTE bit. Absent directories are skipped without visiting the pages they would hold.
    /// A null bitmap only clears (iopt_clear_dirty_data does this before enabling tracking).
    /// Errors: EINVAL when tracking is off and a bitmap is given (the selftest mock domain's and the
    /// AMD/Intel drivers' check); EOVERFLOW when the range wraps (iommufd's check_add_overflow).
    /// The IOTLB is not flushed here: the caller syncs <paramref name="gather"/> once at the end, as
    /// seed 004's iommu_read_and_clear_dirty does, so cached translations stop carrying stale dirty state.
    /// </summary>
    public Errno ReadAndClearDirty(Iova iova, ulong length, IovaBitmap? bitmap, bool noClear, IotlbGather? gather, out long dirtyLeaves)
    {
        dirtyLeaves = 0;
        if (!DirtyTracking && bitmap is not null)
            return Errno.EINVAL;
        if (length == 0)
            return Errno.None;
        var first = iova.Value;
        var last = first + (length - 1);
        if (last < first)
            return Errno.EOVERFLOW;
        if (first >> AddressBits != 0)
            return Errno.None;
        var top = (1UL << AddressBits) - 1;
        if (last > top) last = top;

        var scan = new DirtyScan { Bitmap = bitmap, Gather = gather, NoClear = noClear, First = first, Last = last };
        ScanDirty(_root, 0, 0, ref scan);
        dirtyLeaves = scan.DirtyLeaves;
        return Errno.None;
    }

    private struct DirtyScan
    {
        public IovaBitmap? Bitmap;
        public IotlbGather? Gather;
        public bool NoClear;
        public ulong First;
        public ulong Last;
        public long DirtyLeaves;
    }

    /// <summary>
    /// Reads the dirty leaves of one page in [scan.First, scan.Last], a word of dirty bits at a time
    /// (<see cref="IoTablePage.Dirty"/>): only slots whose bit is set are visited, directories
    /// recursively. Clearing a leaf's dirty bit is clearing its bit; a directory's bit is dropped
    /// once nothing dirty is left under it, an empty slot's at once. With NoClear a dirty leaf
    /// keeps its bit.
    /// </summary>
    private void ScanDirty(IoTablePage page, int level, ulong pageBase, ref DirtyScan scan)
    {
        var shift = _levelShift[level];
        var firstIndex = FirstIndex(level, pageBase, scan.First);
        var lastIndex = LastIndex(level, pageBase, scan.Last);
        for (var w = firstIndex >> 6; w <= lastIndex >> 6; w++)
        {
            var bits = page.Dirty[w];
            if (bits == 0) continue;
            if (w == firstIndex >> 6) bits &= ulong.MaxValue << (firstIndex & 63);
            if (w == lastIndex >> 6) bits &= ulong.MaxValue >> (63 - (lastIndex & 63));
            // Leaves first, a word at a time: their bits are their dirty bits, no slot to read.
            var leaves = bits & ~page.Directories[w];
            if (leaves != 0)
            {
                for (var rest = leaves; rest != 0; rest &= rest - 1)
                {
                    var slotBase = pageBase + ((ulong)((w << 6) + BitOperations.TrailingZeroCount(rest)) << shift);
                    var bytes = 1UL << shift;
                    scan.DirtyLeaves++;
                    scan.Bitmap?.Set(new Iova(slotBase), bytes);
                    scan.Gather?.AddRange(new Iova(slotBase), bytes);
                }
                if (!scan.NoClear) page.Dirty[w] &= ~leaves;
            }
            for (var dirs = bits & page.Directories[w]; dirs != 0; dirs &= dirs - 1)
            {
                var index = (w << 6) + BitOperations.TrailingZeroCount(dirs);
                var next = page.Slots[index].Next!;
                ScanDirty(next, level + 1, pageBase + ((ulong)index << shift), ref scan);
                if (next.Dirty.IsEmpty) page.Dirty.Clear(index);
            }
        }
    }
}
