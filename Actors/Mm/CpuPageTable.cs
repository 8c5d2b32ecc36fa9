using System.Numerics;
using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Actors.Mm;

/// <summary>
/// An mm's CPU page table: virtual page number to <see cref="CpuPte"/>, an absent entry being
/// pte_none. Entries live in leaf directories of 512 (one page-table page, 2 MiB of address
/// space, as the kernel's PTE level), found by vpn &gt;&gt; 9 in a dictionary through a
/// one-directory cache. A device fault touches one leaf directory (the mirror sends 512 pages
/// per range), so it costs one dictionary lookup instead of one hash insertion per page into a
/// table that grows (and rehashes) with every page the mm ever mapped. A directory counts its
/// present entries and goes when the last one is removed (free_pte_range), so memory follows
/// what is mapped.
/// </summary>
/// <remarks>
/// Iteration is in address order. Changing the value of an entry that is present is allowed
/// while iterating; adding or removing an entry is not (the enumerator throws, as a
/// Dictionary's does).
/// </remarks>
internal sealed class CpuPageTable
{
    /// <summary>log2 of the entries of one leaf directory (PTRS_PER_PTE = 512 on x86-64).</summary>
    public const int DirectoryShift = 9;

    /// <summary>Entries of one leaf directory.</summary>
    public const int DirectoryEntries = 1 << DirectoryShift;

    private const ulong SlotMask = DirectoryEntries - 1;

    private sealed class Directory
    {
        public readonly CpuPte[] Entries = new CpuPte[DirectoryEntries];

        // One bit per slot: whether the entry is present (CpuPte has no "none" value of its own).
        public readonly ulong[] Present = new ulong[DirectoryEntries / 64];
        public int Count;

        public Directory Clone()
        {
            var copy = new Directory { Count = Count };
            Entries.AsSpan().CopyTo(copy.Entries);
            Present.AsSpan().CopyTo(copy.Present);
            return copy;
        }

        public bool IsPresent(int slot) => (Present[slot >> 6] & (1UL << slot)) != 0;
    }

    private readonly Dictionary<ulong, Directory> _directories = [];
    private ulong _cachedKey;
    private Directory? _cached;
    private int _count;

    // Bumped when an entry is added or removed, so enumerators can refuse a changed table.
    private int _version;

    /// <summary>Present entries.</summary>
    public int Count => _count;

    /// <summary>Leaf directories holding at least one entry.</summary>
    public int DirectoryCount => _directories.Count;

    /// <summary>The entry of <paramref name="vpn"/>, or null for pte_none.</summary>
    public CpuPte? Get(ulong vpn)
    {
        ref var pte = ref GetRef(vpn);
        return Unsafe.IsNullRef(ref pte) ? null : pte;
    }

    public bool TryGet(ulong vpn, out CpuPte pte)
    {
        ref var found = ref GetRef(vpn);
        if (Unsafe.IsNullRef(ref found))
        {
            pte = default;
            return false;
        }
        pte = found;
        return true;
    }

    public bool Contains(ulong vpn) => !Unsafe.IsNullRef(ref GetRef(vpn));

    /// <summary>
    /// The present entry of <paramref name="vpn"/>, to read or change in place, or a null ref
    /// for pte_none (test with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>). The ref is
    /// valid until an entry of the table is removed.
    /// </summary>
    public ref CpuPte GetRef(ulong vpn)
    {
        var slot = (int)(vpn & SlotMask);
        if (Find(vpn >> DirectoryShift) is not { } dir || !dir.IsPresent(slot)) return ref Unsafe.NullRef<CpuPte>();
        return ref dir.Entries[slot];
    }

    /// <summary>The present entry of <paramref name="vpn"/>; <see cref="KeyNotFoundException"/> for pte_none. Setting it is <see cref="Set"/>.</summary>
    public CpuPte this[ulong vpn]
    {
        get
        {
            ref var pte = ref GetRef(vpn);
            if (Unsafe.IsNullRef(ref pte)) throw new KeyNotFoundException($"no pte for vpn {AddressFormat.Hex(vpn)}");
            return pte;
        }
        set => Set(vpn, value);
    }

    /// <summary>Sets the entry of <paramref name="vpn"/>, adding it if absent.</summary>
    public void Set(ulong vpn, CpuPte pte) => Exchange(vpn, pte);

    /// <summary>Sets the entry of <paramref name="vpn"/> and returns the one it replaced (null if it was pte_none): one lookup for both.</summary>
    public CpuPte? Exchange(ulong vpn, CpuPte pte)
    {
        var key = vpn >> DirectoryShift;
        var dir = Find(key);
        if (dir == null)
        {
            dir = new Directory();
            _directories.Add(key, dir);
            (_cachedKey, _cached) = (key, dir);
        }
        var slot = (int)(vpn & SlotMask);
        ref var word = ref dir.Present[slot >> 6];
        var bit = 1UL << slot;
        CpuPte? old = null;
        if ((word & bit) != 0)
        {
            old = dir.Entries[slot];
        }
        else
        {
            word |= bit;
            dir.Count++;
            _count++;
            _version++;
        }
        dir.Entries[slot] = pte;
        return old;
    }

    /// <summary>Removes the entry of <paramref name="vpn"/>; false (and <paramref name="old"/> default) if it was pte_none.</summary>
    public bool Remove(ulong vpn, out CpuPte old)
    {
        var key = vpn >> DirectoryShift;
        var slot = (int)(vpn & SlotMask);
        if (Find(key) is not { } dir || !dir.IsPresent(slot))
        {
            old = default;
            return false;
        }
        old = dir.Entries[slot];
        dir.Present[slot >> 6] &= ~(1UL << slot);
        // Drop the references the entry held, so the GC does not keep them alive through the table.
        dir.Entries[slot] = default;
        _count--;
        _version++;
        if (--dir.Count == 0)
        {
            _directories.Remove(key);
            _cached = null;
        }
        return true;
    }

    public bool Remove(ulong vpn) => Remove(vpn, out _);

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        _directories.Clear();
        _cached = null;
        _count = 0;
        _version++;
    }

    /// <summary>A copy of the table with the same entries (fork's copy_page_range, without the reference counting).</summary>
    public CpuPageTable Clone()
    {
        var copy = new CpuPageTable();
        foreach (var (key, dir) in _directories) copy._directories.Add(key, dir.Clone());
        copy._count = _count;
        return copy;
    }

    /// <summary>Every entry in address order.</summary>
    public RangeEnumerable All => new(this, 0, ulong.MaxValue);

    /// <summary>The entries of the pages [<paramref name="firstVpn"/>, <paramref name="endVpn"/>) in address order.</summary>
    public RangeEnumerable Range(ulong firstVpn, ulong endVpn) => new(this, firstVpn, endVpn);

    /// <summary>The virtual page numbers of the entries in [<paramref name="firstVpn"/>, <paramref name="endVpn"/>), in address order, as a list the caller may change the table under.</summary>
    public List<ulong> PresentVpns(ulong firstVpn, ulong endVpn)
    {
        var list = new List<ulong>();
        foreach (var (vpn, _) in Range(firstVpn, endVpn)) list.Add(vpn);
        return list;
    }

    private Directory? Find(ulong key)
    {
        if (_cached != null && _cachedKey == key) return _cached;
        if (!_directories.TryGetValue(key, out var dir)) return null;
        (_cachedKey, _cached) = (key, dir);
        return dir;
    }

    /// <summary>
    /// The keys of the directories that overlap [firstVpn, endVpn), ascending: by probing every
    /// key of the range when it spans few directories compared with the table, else by sorting
    /// the table's keys that fall in it (a sparse walk of a huge range).
    /// </summary>
    private List<ulong> DirectoryKeys(ulong firstVpn, ulong endVpn)
    {
        var keys = new List<ulong>();
        if (endVpn <= firstVpn || _directories.Count == 0) return keys;
        var firstKey = firstVpn >> DirectoryShift;
        var lastKey = (endVpn - 1) >> DirectoryShift;
        if (lastKey - firstKey < (ulong)_directories.Count * 2)
        {
            for (var key = firstKey; ; key++)
            {
                if (_directories.ContainsKey(key)) keys.Add(key);
                if (key == lastKey) break;
            }
            return keys;
        }
        foreach (var key in _directories.Keys)
            if (key >= firstKey && key <= lastKey) keys.Add(key);
        keys.Sort();
        return keys;
    }

    /// <summary>The entries of a range of pages in address order (a struct, so foreach allocates only the key list).</summary>
    public readonly struct RangeEnumerable(CpuPageTable table, ulong firstVpn, ulong endVpn)
    {
        public RangeEnumerator GetEnumerator() => new(table, firstVpn, endVpn);
    }

    public struct RangeEnumerator
    {
        private readonly CpuPageTable _table;
        private readonly ulong _firstVpn;
        private readonly ulong _endVpn;
        private readonly List<ulong> _keys;
        private readonly int _version;
        private int _keyIndex;
        private Directory? _dir;
        private ulong _dirBase;
        private int _word;
        private ulong _bits;

        internal RangeEnumerator(CpuPageTable table, ulong firstVpn, ulong endVpn)
        {
            _table = table;
            _firstVpn = firstVpn;
            _endVpn = endVpn;
            _keys = table.DirectoryKeys(firstVpn, endVpn);
            _version = table._version;
            _keyIndex = -1;
        }

        public (ulong Vpn, CpuPte Pte) Current { get; private set; }

        public bool MoveNext()
        {
            if (_table._version != _version) throw new InvalidOperationException("the page table changed during iteration");
            while (true)
            {
                // The next present slot of the current 64-slot word, within the range.
                while (_bits != 0)
                {
                    var bit = BitOperations.TrailingZeroCount(_bits);
                    _bits &= _bits - 1;
                    var slot = (_word << 6) | bit;
                    var vpn = _dirBase | (uint)slot;
                    if (vpn < _firstVpn) continue;
                    if (vpn >= _endVpn)
                    {
                        Finish();
                        return false;
                    }
                    Current = (vpn, _dir!.Entries[slot]);
                    return true;
                }
                if (_dir != null && ++_word < _dir.Present.Length)
                {
                    _bits = _dir.Present[_word];
                    continue;
                }
                if (++_keyIndex >= _keys.Count)
                {
                    Finish();
                    return false;
                }
                var key = _keys[_keyIndex];
                _dir = _table._directories[key];
                _dirBase = key << DirectoryShift;
                _word = 0;
                _bits = _dir.Present[0];
            }
        }

        // Past the range: every later MoveNext is false too.
        private void Finish()
        {
            _bits = 0;
            _dir = null;
            _keyIndex = _keys.Count;
        }
    }
}
