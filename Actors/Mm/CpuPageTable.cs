using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

/// <summary>
/// An mm's CPU page table: virtual page number to <see cref="CpuPte"/>, an absent entry being
/// pte_none. Entries live in leaf directories of 512 (one page-table page, 2 MiB of address
/// space, as the kernel's PTE level), found by vpn &gt;&gt; 9 in a dictionary through a
/// one-directory cache. A device fault touches one leaf directory (the mirror sends 512 pages
/// per range), so it costs one dictionary lookup instead of one hash insertion per page into a
/// table that grows (and rehashes) with every page the mm ever mapped. A directory counts its
/// present entries and goes when the last one is removed (free_pte_range), so memory follows
/// what is mapped. An entry is stored as one 64-bit word, as a pte is (a quarter of the memory
/// of a <see cref="CpuPte"/> array, and nothing for the GC to scan); the device and mirror of
/// device entries sit in a side array that only directories holding such entries have.
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

    // An entry packed in one word, 0 being pte_none: the present bit, the write bit, the kind
    // and the pfn. Device-private and device-exclusive entries also name a device (and a
    // mirror): those go in a side array a directory allocates only once it holds one.
    private const ulong PresentBit = 1UL << 63;
    private const ulong WritableBit = 1UL << 62;
    private const int KindShift = 58;
    private const ulong KindMask = 0xfUL << KindShift;
    private const ulong PfnMask = (1UL << KindShift) - 1;

    private sealed class Directory
    {
        public readonly ulong[] Words = new ulong[DirectoryEntries];
        public (string? Owner, IActorRef? Mirror)[]? Refs;
        public int Count;

        public Directory Clone()
        {
            var copy = new Directory { Count = Count, Refs = Refs?.ToArray() };
            Words.AsSpan().CopyTo(copy.Words);
            return copy;
        }

        public CpuPte Entry(int slot)
        {
            var word = Words[slot];
            var (owner, mirror) = Refs is { } refs ? refs[slot] : default;
            return new CpuPte((CpuPteKind)((word & KindMask) >> KindShift), new Pfn(word & PfnMask), (word & WritableBit) != 0, owner, mirror);
        }

        public void Store(int slot, in CpuPte pte)
        {
            Words[slot] = PresentBit | (pte.Writable ? WritableBit : 0) | ((ulong)pte.Kind << KindShift) | pte.Pfn.Value;
            if (pte.Owner != null || pte.ExclusiveMirror != null) (Refs ??= new (string?, IActorRef?)[DirectoryEntries])[slot] = (pte.Owner, pte.ExclusiveMirror);
            else if (Refs != null) Refs[slot] = default;
        }

        public void Clear(int slot)
        {
            Words[slot] = 0;
            // Drop the references the entry held, so the GC does not keep them alive through the table.
            if (Refs != null) Refs[slot] = default;
        }
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
    public CpuPte? Get(ulong vpn) => TryGet(vpn, out var pte) ? pte : null;

    public bool TryGet(ulong vpn, out CpuPte pte)
    {
        var slot = (int)(vpn & SlotMask);
        if (Find(vpn >> DirectoryShift) is not { } dir || dir.Words[slot] == 0)
        {
            pte = default;
            return false;
        }
        pte = dir.Entry(slot);
        return true;
    }

    public bool Contains(ulong vpn) => Find(vpn >> DirectoryShift) is { } dir && dir.Words[(int)(vpn & SlotMask)] != 0;

    /// <summary>The present entry of <paramref name="vpn"/>; <see cref="KeyNotFoundException"/> for pte_none. Setting it is <see cref="Set"/>.</summary>
    public CpuPte this[ulong vpn]
    {
        get => TryGet(vpn, out var pte) ? pte : throw new KeyNotFoundException($"no pte for vpn {AddressFormat.Hex(vpn)}");
        set => Set(vpn, value);
    }

    /// <summary>Sets the entry of <paramref name="vpn"/>, adding it if absent.</summary>
    public void Set(ulong vpn, CpuPte pte) => Exchange(vpn, pte);

    /// <summary>Sets the entry of <paramref name="vpn"/> and returns the one it replaced (null if it was pte_none): one lookup for both.</summary>
    public CpuPte? Exchange(ulong vpn, CpuPte pte)
    {
        // Checked before anything changes, so a refused entry leaves the table as it was.
        if (pte.Pfn.Value > PfnMask) throw new ArgumentOutOfRangeException(nameof(pte), pte.Pfn, "pfn too large for a CPU pte");
        var key = vpn >> DirectoryShift;
        var dir = Find(key);
        if (dir == null)
        {
            dir = new Directory();
            _directories.Add(key, dir);
            (_cachedKey, _cached) = (key, dir);
        }
        var slot = (int)(vpn & SlotMask);
        CpuPte? old = null;
        if (dir.Words[slot] != 0)
        {
            old = dir.Entry(slot);
        }
        else
        {
            dir.Count++;
            _count++;
            _version++;
        }
        dir.Store(slot, pte);
        return old;
    }

    /// <summary>Removes the entry of <paramref name="vpn"/>; false (and <paramref name="old"/> default) if it was pte_none.</summary>
    public bool Remove(ulong vpn, out CpuPte old)
    {
        var key = vpn >> DirectoryShift;
        var slot = (int)(vpn & SlotMask);
        if (Find(key) is not { } dir || dir.Words[slot] == 0)
        {
            old = default;
            return false;
        }
        old = dir.Entry(slot);
        dir.Clear(slot);
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
        private int _slot;

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
                if (_dir != null)
                {
                    // The next present slot of the directory (a vectorised scan for a non-zero word).
                    var next = _slot < DirectoryEntries ? _dir.Words.AsSpan(_slot).IndexOfAnyExcept(0UL) : -1;
                    if (next >= 0)
                    {
                        var slot = _slot + next;
                        var vpn = _dirBase | (uint)slot;
                        if (vpn >= _endVpn)
                        {
                            Finish();
                            return false;
                        }
                        _slot = slot + 1;
                        Current = (vpn, _dir.Entry(slot));
                        return true;
                    }
                }
                if (++_keyIndex >= _keys.Count)
                {
                    Finish();
                    return false;
                }
                var key = _keys[_keyIndex];
                _dir = _table._directories[key];
                _dirBase = key << DirectoryShift;
                // The first directory may start before the range.
                _slot = _firstVpn > _dirBase ? (int)(_firstVpn - _dirBase) : 0;
            }
        }

        // Past the range: every later MoveNext is false too.
        private void Finish()
        {
            _dir = null;
            _keyIndex = _keys.Count;
        }
    }
}
