using System.Numerics;

namespace IommuSim.Actors.Sva;

/// <summary>
/// The global PASID space (iommu_global_pasid_ida): iommu_alloc_global_pasid takes the lowest free
/// PASID in a range (ida_alloc_range), iommu_free_global_pasid gives it back. A bitmap of the 2^20
/// PCIe PASIDs with a hint below which every PASID is taken. Owned by the SVA core actor.
/// </summary>
public sealed class PasidAllocator
{
    public const uint Space = 1u << 20;

    private readonly ulong[] _used = new ulong[Space / 64];
    private uint _firstMaybeFree;

    public int Allocated { get; private set; }

    /// <summary>The lowest free PASID in [<paramref name="min"/>, <paramref name="max"/>], or null when none is (-ENOSPC).</summary>
    public uint? Allocate(uint min, uint max)
    {
        if (max >= Space) max = Space - 1;
        if (min > max) return null;
        var from = Math.Max(min, _firstMaybeFree);
        for (var word = from / 64; word <= max / 64; word++)
        {
            var free = ~_used[word];
            if (word == from / 64) free &= ulong.MaxValue << (int)(from % 64);
            if (free == 0) continue;
            var pasid = word * 64 + (uint)BitOperations.TrailingZeroCount(free);
            if (pasid > max) return null;
            _used[word] |= 1UL << (int)(pasid % 64);
            Allocated++;
            if (pasid == _firstMaybeFree) _firstMaybeFree = pasid + 1;
            return pasid;
        }
        return null;
    }

    /// <summary>Gives a PASID back; false if it was not allocated.</summary>
    public bool Free(uint pasid)
    {
        if (!IsAllocated(pasid)) return false;
        _used[pasid / 64] &= ~(1UL << (int)(pasid % 64));
        Allocated--;
        if (pasid < _firstMaybeFree) _firstMaybeFree = pasid;
        return true;
    }

    public bool IsAllocated(uint pasid) => pasid < Space && (_used[pasid / 64] & (1UL << (int)(pasid % 64))) != 0;
}
