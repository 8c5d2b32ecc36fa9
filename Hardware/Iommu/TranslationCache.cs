using System.Numerics;
using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A set-associative translation cache of leaf translations, tagged by (domain id, PASID, IOVA page
/// number, page size), LRU within a set. The set index is the low bits of the page number at the
/// entry's page size, as hardware indexes by VA bits; a lookup probes the set of each page size
/// that has an entry in turn, smallest first. A fully-associative cache (one set) is indexed by a
/// hash of the tag instead of being scanned, and keeps its LRU order in a list (see
/// TranslationCache.FullyAssociative.cs); it behaves exactly as a scanned one would.
/// Requests without a PASID are tagged <see cref="Pasid.Invalid"/>.
/// Lookups, fills and invalidations allocate nothing (entries are a struct array).
/// Owned by one actor (the IOMMU unit for the IOTLB, the device for its micro-TLB / ATC); no locks.
/// </summary>
public abstract partial class TranslationCache
{
    private readonly TlbEntry[] _slots;
    private readonly int _setMask;
    private ulong _clock;

    // Valid entries per page shift, and bit `shift` of _presentShifts set while that count is not
    // zero (the pgsize_bitmap encoding): a lookup probes only the page sizes some entry has, so a
    // cache holding only 4 KiB entries answers a miss with one probe, not one per supported size.
    private readonly int[] _shiftCounts = new int[64];
    private ulong _presentShifts;

    private protected TranslationCache(int entries, int ways, ulong pageSizes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ways, 1);
        if (entries % ways != 0 || !BitOperations.IsPow2(entries / ways))
            throw new ArgumentException($"{entries} entries in {ways} ways do not make a power-of-two number of sets", nameof(ways));
        if (pageSizes == 0 || (pageSizes & ((1UL << PageSize.BaseShift) - 1)) != 0 || pageSizes >> 41 != 0)
            throw new ArgumentException("page sizes must be a non-empty set of sizes from 4 KiB to 1 TiB", nameof(pageSizes));
        Entries = entries;
        Ways = ways;
        Sets = entries / ways;
        PageSizes = pageSizes;
        _setMask = Sets - 1;
        _slots = new TlbEntry[entries];
        if (Sets == 1)
            _fa = new FullyAssociativeIndex(entries);
    }

    public int Entries { get; }
    public int Ways { get; }
    public int Sets { get; }
    public ulong PageSizes { get; }

    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long Fills { get; private set; }
    /// <summary>Valid entries replaced by a fill of another tag (capacity or conflict misses to come).</summary>
    public long Evictions { get; private set; }
    /// <summary>Entries dropped by invalidations.</summary>
    public long InvalidatedEntries { get; private set; }
    /// <summary>Invalidation operations applied (of any kind).</summary>
    public long Invalidations { get; private set; }
    /// <summary>Range invalidations that carried the leaf-only hint.</summary>
    public long LeafOnlyInvalidations { get; private set; }
    public int ValidEntries { get; private set; }

    /// <summary>The set a translation of <paramref name="size"/> at <paramref name="iova"/> lives in (0 for a fully-associative cache).</summary>
    public int SetIndexOf(Iova iova, PageSize size) => (int)(iova.Value >> size.Shift) & _setMask;

    /// <summary>Looks the translation up, counting a hit or a miss and refreshing LRU on a hit.</summary>
    public bool Lookup(uint domainId, Pasid pasid, Iova iova, out IotlbHit hit)
    {
        var index = Find(domainId, pasid.Value, iova.Value);
        if (index < 0)
        {
            Misses++;
            hit = default;
            return false;
        }
        Touch(index);
        Hits++;
        hit = HitOf(in _slots[index], iova.Value);
        return true;
    }

    /// <summary>Looks up without counting or touching LRU: what an oracle uses to ask "could the device still hit this?".</summary>
    public bool Probe(uint domainId, Pasid pasid, Iova iova, out IotlbHit hit)
    {
        var index = Find(domainId, pasid.Value, iova.Value);
        hit = index < 0 ? default : HitOf(in _slots[index], iova.Value);
        return index >= 0;
    }

    /// <summary>Caches a leaf translation from a successful walk.</summary>
    public void Fill(uint domainId, Pasid pasid, Iova iova, in IoWalk walk)
    {
        if (!walk.IsOk)
            throw new ArgumentException($"only a successful walk can be cached, got {walk.Status}", nameof(walk));
        Fill(domainId, pasid, iova, walk.PageSize, walk.PageBase, walk.Prot, walk.Dirty);
    }

    /// <summary>
    /// Caches the translation of the <paramref name="size"/> page holding <paramref name="iova"/>.
    /// An entry with the same tag is updated in place (e.g. to record that the leaf is now dirty);
    /// otherwise the first invalid way (in slot order) is used, or the least recently used way of
    /// the set is evicted.
    /// </summary>
    public void Fill(uint domainId, Pasid pasid, Iova iova, PageSize size, PhysAddr pageBase, IoProt prot, bool dirty)
    {
        if (!PageSizeBitmap.Supports(PageSizes, size))
            throw new ArgumentException($"page size {size} is not cached by this TLB", nameof(size));
        if (!size.IsAligned(pageBase.Value))
            throw new ArgumentException($"page base {pageBase} is not aligned to {size}", nameof(pageBase));
        var shift = size.Shift;
        var vpn = iova.Value >> shift;
        var slot = _fa is { } fa
            ? FillSlotFullyAssociative(fa, domainId, pasid.Value, vpn, shift)
            : FillSlotSetAssociative(domainId, pasid.Value, vpn, shift);
        ref var e = ref _slots[slot];
        e.PageBase = pageBase.Value;
        e.Prot = prot;
        e.Dirty = dirty;
        Fills++;
    }

    /// <summary>Every valid entry, in slot order.</summary>
    public IEnumerable<IotlbEntryInfo> EnumerateEntries()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            var e = _slots[i];
            if (e.Shift != 0)
                yield return new IotlbEntryInfo(e.DomainId, new Pasid(e.Pasid), new Iova(e.Vpn << e.Shift), new PageSize(e.Shift),
                    new PhysAddr(e.PageBase), e.Prot, e.Dirty);
        }
    }

    /// <summary>
    /// The slot a set-associative fill writes: the entry with the same tag, else the set's first
    /// invalid way, else its least recently used way (smallest stamp). The slot's tag and stamp are
    /// set; the caller writes the payload.
    /// </summary>
    private int FillSlotSetAssociative(uint domainId, uint pasid, ulong vpn, int shift)
    {
        var first = ((int)vpn & _setMask) * Ways;
        var end = first + Ways;
        var slots = _slots;
        var invalid = -1;
        var oldest = -1;
        var oldestStamp = ulong.MaxValue;
        // One pass: the same tag wins; otherwise the first invalid way, otherwise the LRU way.
        for (var i = first; i < end; i++)
        {
            ref var e = ref slots[i];
            if (e.Shift == 0)
            {
                if (invalid < 0) invalid = i;
                continue;
            }
            if (e.Shift == shift && e.Vpn == vpn && e.DomainId == domainId && e.Pasid == pasid)
            {
                e.Stamp = ++_clock;
                return i;
            }
            if (e.Stamp < oldestStamp)
            {
                oldestStamp = e.Stamp;
                oldest = i;
            }
        }
        int victim;
        if (invalid >= 0)
        {
            victim = invalid;
            ValidEntries++;
        }
        else
        {
            victim = oldest;
            Evictions++;
            CountShift(slots[victim].Shift, -1);
        }
        ref var v = ref slots[victim];
        v.Vpn = vpn;
        v.DomainId = domainId;
        v.Pasid = pasid;
        v.Shift = (byte)shift;
        v.Stamp = ++_clock;
        CountShift(shift, +1);
        return victim;
    }

    /// <summary>Marks the slot most recently used (a hit).</summary>
    private void Touch(int index)
    {
        if (_fa is { } fa)
            fa.Touch(index);
        else
            _slots[index].Stamp = ++_clock;
    }

    private int Find(uint domainId, uint pasid, ulong va) =>
        _fa is { } fa ? FindFullyAssociative(fa, domainId, pasid, va) : FindSetAssociative(domainId, pasid, va);

    private int FindSetAssociative(uint domainId, uint pasid, ulong va)
    {
        var slots = _slots;
        var ways = Ways;
        for (var rest = _presentShifts; rest != 0; rest &= rest - 1)
        {
            var shift = BitOperations.TrailingZeroCount(rest);
            var vpn = va >> shift;
            var first = ((int)vpn & _setMask) * ways;
            for (var i = first; i < first + ways; i++)
            {
                ref var e = ref slots[i];
                if (e.Vpn == vpn && e.Shift == shift && e.DomainId == domainId && e.Pasid == pasid)
                    return i;
            }
        }
        return -1;
    }

    private void CountShift(int shift, int delta)
    {
        var count = _shiftCounts[shift] += delta;
        if (count == 0)
            _presentShifts &= ~(1UL << shift);
        else
            _presentShifts |= 1UL << shift;
    }

    private static IotlbHit HitOf(in TlbEntry e, ulong va)
    {
        var mask = (1UL << e.Shift) - 1;
        return new IotlbHit(new PhysAddr(e.PageBase | (va & mask)), new PhysAddr(e.PageBase), new PageSize(e.Shift), e.Prot, e.Dirty);
    }
}
