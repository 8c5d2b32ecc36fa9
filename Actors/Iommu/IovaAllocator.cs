using System.Numerics;

namespace IommuSim.Actors.Iommu;

/// <summary>
/// The IOVA space of one domain (drivers/iommu/iova.c as dma-iommu uses it): ranges are handed
/// out top-down from the end of the aperture, each aligned to its size rounded up to a power of
/// two (alloc_iova with size_aligned), and freed ranges are kept per size and reused last in,
/// first out (the per-size range caches of iova_rcache). Ranges are never coalesced; a size that
/// finds no cached range and no room below the lowest allocation fails. Single owner, no locks.
/// </summary>
internal sealed class IovaAllocator
{
    private readonly ulong _start;
    private readonly Dictionary<ulong, Stack<ulong>> _cached = [];
    private readonly Dictionary<ulong, ulong> _allocated = [];
    // Lowest address handed out by the bump; everything below it (down to _start) is unused.
    private ulong _floor;

    /// <param name="start">First usable IOVA (page 0 stays unused, as iova domains start at pfn 1).</param>
    /// <param name="end">End of the aperture, exclusive.</param>
    public IovaAllocator(ulong start, ulong end)
    {
        if (end <= start) throw new ArgumentException("the aperture is empty", nameof(end));
        _start = start;
        _floor = end;
    }

    /// <summary>Bytes allocated now.</summary>
    public ulong AllocatedBytes { get; private set; }

    public int Ranges => _allocated.Count;

    /// <summary>Alignment of a range of <paramref name="size"/> bytes: the size rounded up to a power of two.</summary>
    public static ulong AlignmentOf(ulong size) => BitOperations.RoundUpToPowerOf2(size);

    public bool TryAllocate(ulong size, out ulong iova)
    {
        iova = 0;
        if (size == 0) return false;
        if (_cached.TryGetValue(size, out var stack) && stack.TryPop(out iova))
        {
            Track(iova, size);
            return true;
        }
        var align = AlignmentOf(size);
        if (align == 0 || _floor < size) return false;
        var candidate = (_floor - size) & ~(align - 1);
        if (candidate < _start) return false;
        _floor = candidate;
        iova = candidate;
        Track(iova, size);
        return true;
    }

    /// <summary>Whether exactly [iova, iova + size) was handed out and not freed.</summary>
    public bool IsAllocated(ulong iova, ulong size) => _allocated.TryGetValue(iova, out var s) && s == size;

    /// <summary>Returns a range; false if it was not allocated.</summary>
    public bool Free(ulong iova)
    {
        if (!_allocated.Remove(iova, out var size)) return false;
        AllocatedBytes -= size;
        if (!_cached.TryGetValue(size, out var stack)) _cached[size] = stack = new Stack<ulong>();
        stack.Push(iova);
        return true;
    }

    private void Track(ulong iova, ulong size)
    {
        _allocated.Add(iova, size);
        AllocatedBytes += size;
    }
}
