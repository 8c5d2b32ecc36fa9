using System.Numerics;
using System.Runtime.CompilerServices;

namespace IommuSim.Hardware.Iommu;

// The fully-associative cache (one set: the micro-TLB / ATC). Scanning every entry on each lookup,
// again on the fill's tag search and again for the LRU victim made a streaming miss cost three
// scans; here a lookup is one hash probe per page size present, and a fill finds its victim in
// O(1). The behaviour is that of the scanned cache, exactly:
// - a lookup answers the matching entry in the lowest slot (overlapping entries of different
//   sizes can only coexist after a missed invalidation, but the answer stays deterministic);
// - a fill updates the entry with the same tag, else takes the first invalid slot in slot order,
//   else evicts the least recently used valid entry (the LRU list orders valid entries by their
//   last lookup hit or fill, as the scanned cache's stamps did).
public abstract partial class TranslationCache
{
    private readonly FullyAssociativeIndex? _fa;

    private int FindFullyAssociative(FullyAssociativeIndex fa, uint domainId, uint pasid, ulong va)
    {
        var sizes = _presentShifts;
        if ((sizes & (sizes - 1)) != 0)
            return FindMixedSizes(fa, domainId, pasid, va, sizes);
        if (sizes == 0)
            return -1;
        // One page size cached: at most one entry matches. Try the most recently used entry
        // before hashing, as accesses within one (huge) page hit it again and again.
        var shift = BitOperations.TrailingZeroCount(sizes);
        var vpn = va >> shift;
        var mru = fa.MostRecentlyUsed;
        ref var e = ref _slots[mru];
        if (e.Vpn == vpn && e.Shift == shift && e.DomainId == domainId && e.Pasid == pasid)
            return mru;
        return fa.Find(_slots, domainId, pasid, vpn, shift);
    }

    /// <summary>Several page sizes cached: entries of two sizes may both cover va, and the scanned cache answered the lowest slot.</summary>
    private int FindMixedSizes(FullyAssociativeIndex fa, uint domainId, uint pasid, ulong va, ulong sizes)
    {
        var found = -1;
        for (var rest = sizes; rest != 0; rest &= rest - 1)
        {
            var shift = BitOperations.TrailingZeroCount(rest);
            var slot = fa.Find(_slots, domainId, pasid, va >> shift, shift);
            if (slot >= 0 && (found < 0 || slot < found)) found = slot;
        }
        return found;
    }

    /// <summary>The slot a fully-associative fill writes (see the file comment); its tag set and it made most recently used.</summary>
    private int FillSlotFullyAssociative(FullyAssociativeIndex fa, uint domainId, uint pasid, ulong vpn, int shift)
    {
        var slots = _slots;
        var hash = FullyAssociativeIndex.Hash(domainId, pasid, vpn, shift);
        var slot = fa.Find(slots, hash, domainId, pasid, vpn, shift);
        if (slot >= 0)
        {
            fa.Touch(slot);
            return slot;
        }
        if (ValidEntries < Entries)
        {
            slot = fa.FirstInvalid();
            ValidEntries++;
            CountShift(shift, +1);
        }
        else
        {
            slot = fa.LeastRecentlyUsed;
            Evictions++;
            ref var old = ref slots[slot];
            fa.Remove(slot);
            if (old.Shift != shift)
            {
                CountShift(old.Shift, -1);
                CountShift(shift, +1);
            }
        }
        ref var e = ref slots[slot];
        e.Vpn = vpn;
        e.DomainId = domainId;
        e.Pasid = pasid;
        e.Shift = (byte)shift;
        fa.Add(slot, hash);
        return slot;
    }

    /// <summary>Invalidates one slot: the entry, its index and LRU position, its size count.</summary>
    private void Drop(int index)
    {
        ref var e = ref _slots[index];
        _fa?.Remove(index);
        CountShift(e.Shift, -1);
        e.Shift = 0;
        ValidEntries--;
    }

    /// <summary>
    /// The tag index and LRU order of a fully-associative cache's valid slots. The index is an
    /// open-addressing hash table (linear probing, at most a quarter full, backward-shift deletion so
    /// no tombstones build up) from tag to slot; the LRU order is a doubly linked list through the
    /// slots, most recently used at the head; a bitmap marks the valid slots.
    /// </summary>
    private sealed class FullyAssociativeIndex
    {
        private const int Empty = -1;

        private readonly int[] _buckets; // slot index, or Empty
        private readonly int[] _home;    // per valid slot: the bucket its tag hashes to
        private readonly int _mask;
        private readonly int _hashShift;
        private readonly int[] _prev;
        private readonly int[] _next;
        private readonly ulong[] _valid;
        private int _head = Empty;
        private int _tail = Empty;

        public FullyAssociativeIndex(int entries)
        {
            var buckets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, entries * 4));
            _buckets = new int[buckets];
            Array.Fill(_buckets, Empty);
            _mask = buckets - 1;
            _hashShift = 64 - BitOperations.Log2((uint)buckets);
            _home = new int[entries];
            _prev = new int[entries];
            _next = new int[entries];
            _valid = new ulong[(entries + 63) / 64];
        }

        /// <summary>The valid slot most recently hit or filled; only meaningful when some slot is valid.</summary>
        public int MostRecentlyUsed => _head;

        /// <summary>The valid slot least recently hit or filled; only meaningful when some slot is valid.</summary>
        public int LeastRecentlyUsed => _tail;

        /// <summary>
        /// The tag folded into 64 bits and multiplied by 2^64/φ; <see cref="Bucket"/> keeps the top
        /// bits (Fibonacci hashing), which spreads consecutive page numbers over the table. Tags that
        /// fold alike only share a probe run: the full tag is compared.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Hash(uint domainId, uint pasid, ulong vpn, int shift) =>
            (vpn ^ ((ulong)shift << 58) ^ ((ulong)domainId << 32) ^ ((ulong)pasid << 12)) * 0x9E3779B97F4A7C15UL;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Bucket(ulong hash) => (int)(hash >> _hashShift);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(TlbEntry[] slots, uint domainId, uint pasid, ulong vpn, int shift) =>
            Find(slots, Hash(domainId, pasid, vpn, shift), domainId, pasid, vpn, shift);

        /// <summary>The slot holding the tag, or -1; <paramref name="hash"/> is the tag's <see cref="Hash"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(TlbEntry[] slots, ulong hash, uint domainId, uint pasid, ulong vpn, int shift)
        {
            var buckets = _buckets;
            for (var b = Bucket(hash); ; b = (b + 1) & _mask)
            {
                var slot = buckets[b];
                if (slot == Empty) return -1;
                ref var e = ref slots[slot];
                if (e.Vpn == vpn && e.Shift == shift && e.DomainId == domainId && e.Pasid == pasid)
                    return slot;
            }
        }

        /// <summary>Indexes a slot that just became valid and makes it most recently used.</summary>
        public void Add(int slot, ulong hash)
        {
            var b = Bucket(hash);
            _home[slot] = b;
            while (_buckets[b] != Empty) b = (b + 1) & _mask;
            _buckets[b] = slot;
            _valid[slot >> 6] |= 1UL << slot;
            PushFront(slot);
        }

        /// <summary>Unindexes a slot that stops being valid.</summary>
        public void Remove(int slot)
        {
            var hole = _home[slot];
            while (_buckets[hole] != slot) hole = (hole + 1) & _mask;
            // Backward-shift deletion: move later entries of the probe run into the hole when their
            // home bucket does not lie between the hole and where they sit, so every entry stays
            // reachable from its home without tombstones.
            for (var j = (hole + 1) & _mask; _buckets[j] != Empty; j = (j + 1) & _mask)
            {
                var moved = _buckets[j];
                if (((j - _home[moved]) & _mask) >= ((j - hole) & _mask))
                {
                    _buckets[hole] = moved;
                    hole = j;
                }
            }
            _buckets[hole] = Empty;
            _valid[slot >> 6] &= ~(1UL << slot);
            Unlink(slot);
        }

        /// <summary>Makes a valid slot the most recently used.</summary>
        public void Touch(int slot)
        {
            if (slot == _head) return;
            Unlink(slot);
            PushFront(slot);
        }

        /// <summary>The lowest invalid slot; the caller has checked that one exists.</summary>
        public int FirstInvalid()
        {
            for (var w = 0; w < _valid.Length; w++)
                if (~_valid[w] != 0)
                    return (w << 6) + BitOperations.TrailingZeroCount(~_valid[w]);
            throw new InvalidOperationException("no invalid slot in a full cache");
        }

        /// <summary>Forgets every slot (a global invalidation).</summary>
        public void Clear()
        {
            Array.Fill(_buckets, Empty);
            Array.Clear(_valid);
            _head = _tail = Empty;
        }

        private void PushFront(int slot)
        {
            _prev[slot] = Empty;
            _next[slot] = _head;
            if (_head != Empty) _prev[_head] = slot;
            else _tail = slot;
            _head = slot;
        }

        private void Unlink(int slot)
        {
            var prev = _prev[slot];
            var next = _next[slot];
            if (prev != Empty) _next[prev] = next;
            else _head = next;
            if (next != Empty) _prev[next] = prev;
            else _tail = prev;
        }
    }
}
