using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public abstract partial class TranslationCache
{
    /// <summary>
    /// Drops the entries of <paramref name="domainId"/> that overlap [start, start + length): all of
    /// them when <paramref name="pasid"/> is null, else only those tagged with that PASID
    /// (<see cref="Pasid.Invalid"/> selects requests without PASID). This is the page-selective /
    /// range invalidation (VT-d page-selective IOTLB and P_IOTLB descriptors, SMMUv3 TLBI_*_VA
    /// with range, AMD INVALIDATE_IOMMU_PAGES). An entry is dropped if any byte of its page lies in
    /// the range, so invalidating one 4 KiB page inside a cached 2 MiB translation drops it.
    /// <paramref name="leafOnly"/> is the "only leaf entries changed" hint (VT-d IH, SMMU LEAF):
    /// this cache holds only leaf translations, so the hint drops the same entries; it is counted
    /// so that a walk cache and the cost model can tell the two apart.
    /// Returns the number of entries dropped.
    /// </summary>
    public int InvalidateRange(uint domainId, Pasid? pasid, Iova start, ulong length, bool leafOnly)
    {
        Invalidations++;
        if (leafOnly) LeafOnlyInvalidations++;
        if (length == 0)
            return 0;
        var first = start.Value;
        var last = first + (length - 1);
        if (last < first) last = ulong.MaxValue;
        var anyPasid = pasid is null;
        var pasidValue = pasid.GetValueOrDefault().Value;

        var dropped = 0;
        if (Sets > 1 && ProbeCount(first, last) <= (ulong)Sets)
        {
            // Few pages: visit only the sets they index, instead of scanning the whole array.
            for (var rest = _presentShifts; rest != 0; rest &= rest - 1)
            {
                var shift = System.Numerics.BitOperations.TrailingZeroCount(rest);
                for (var vpn = first >> shift; ; vpn++)
                {
                    var set = ((int)vpn & _setMask) * Ways;
                    for (var i = set; i < set + Ways; i++)
                    {
                        ref var e = ref _slots[i];
                        if (e.Shift == shift && e.Vpn == vpn && e.DomainId == domainId && (anyPasid || e.Pasid == pasidValue))
                        {
                            Drop(i);
                            dropped++;
                        }
                    }
                    if (vpn == last >> shift) break;
                }
            }
        }
        else
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                ref var e = ref _slots[i];
                if (e.Shift == 0 || e.DomainId != domainId || (!anyPasid && e.Pasid != pasidValue))
                    continue;
                var entryFirst = e.Vpn << e.Shift;
                var entryLast = entryFirst + ((1UL << e.Shift) - 1);
                if (entryFirst <= last && entryLast >= first)
                {
                    Drop(i);
                    dropped++;
                }
            }
        }
        InvalidatedEntries += dropped;
        return dropped;
    }

    /// <summary>
    /// Drops every entry tagged with <paramref name="pasid"/>, in <paramref name="domainId"/> only
    /// or in every domain when null (VT-d PASID-selective P_IOTLB, SMMUv3 TLBI_NH_ASID).
    /// </summary>
    public int InvalidatePasid(Pasid pasid, uint? domainId = null)
    {
        Invalidations++;
        var dropped = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            ref var e = ref _slots[i];
            if (e.Shift != 0 && e.Pasid == pasid.Value && (domainId is null || e.DomainId == domainId.Value))
            {
                Drop(i);
                dropped++;
            }
        }
        InvalidatedEntries += dropped;
        return dropped;
    }

    /// <summary>Drops every entry of the domain, whatever its PASID (VT-d domain-selective, SMMUv3 TLBI_S12_VMALL, AMD all-pages).</summary>
    public int InvalidateDomain(uint domainId)
    {
        Invalidations++;
        var dropped = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            ref var e = ref _slots[i];
            if (e.Shift != 0 && e.DomainId == domainId)
            {
                Drop(i);
                dropped++;
            }
        }
        InvalidatedEntries += dropped;
        return dropped;
    }

    /// <summary>Drops everything (VT-d global invalidation, SMMUv3 TLBI_NSNH_ALL).</summary>
    public int InvalidateAll()
    {
        Invalidations++;
        var dropped = ValidEntries;
        Array.Clear(_slots);
        Array.Clear(_shiftCounts);
        _presentShifts = 0;
        _fa?.Clear();
        ValidEntries = 0;
        InvalidatedEntries += dropped;
        return dropped;
    }

    /// <summary>How many (set, page size) probes a range needs (for the sizes cached now); compared with the number of sets to choose probing or a full scan.</summary>
    private ulong ProbeCount(ulong first, ulong last)
    {
        ulong probes = 0;
        for (var rest = _presentShifts; rest != 0; rest &= rest - 1)
        {
            var shift = System.Numerics.BitOperations.TrailingZeroCount(rest);
            var pages = (last >> shift) - (first >> shift) + 1;
            probes += pages;
            if (probes > (ulong)Sets || probes < pages)
                return ulong.MaxValue;
        }
        return probes;
    }
}
