using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// The HMM page table of seed 001 (mm/hmm_pt.c, include/linux/hmm_pt.h): a radix tree of 4 KiB
/// directories of 64-bit entries that grows when entries are populated and shrinks when
/// directories empty, with each directory's refcount equal to its number of valid entries and
/// unlinked directories freed only after every walker that might hold them has finished.
/// With <c>granuleShift = 21</c> the same structure is seed 000's hmm_domain table (one entry
/// per leaf directory of the HMM table, holding the IOVA base of that directory's mapping).
/// </summary>
/// <remarks>
/// <para><b>Ownership.</b> Not thread-safe: the table belongs to one actor (the mm), which runs
/// one message at a time. Concurrent walkers of the kernel (an invalidation clearing entries
/// while a device fault walks) are interleavings of messages here; a walker spans messages by
/// <see cref="BeginWalk"/> ... <see cref="EndWalk"/>, and the delayed free that
/// synchronize_rcu() gives the kernel is modelled by those registrations.</para>
/// <para><b>Addresses.</b> Ranges are [Start, End) byte addresses; a range touches every
/// granule it overlaps. An operation that would create an entry or a directory beyond
/// <see cref="HmmPtGeometry.LastByte"/> (Populate, Set of a valid entry) returns
/// <see cref="Errno.EINVAL"/> and changes nothing, as seed 000's gpt_iter_addr() failing
/// makes hmm_mirror_update() return -EINVAL. Operations that only read or remove (Get, Clear,
/// Update, Reclaim, iteration, Set of <see cref="HmmPte.Empty"/>) act on the part of the range
/// inside the table: nothing can exist beyond it. Malformed arguments (a range whose End is
/// below its Start, a walker of another table) are caller bugs and throw.</para>
/// <para><b>Memory limit.</b> An optional directory limit makes directory allocation fail with
/// <see cref="Errno.ENOMEM"/> (hmm_pt_iter_populate when alloc_page fails); the failing call
/// allocates nothing.</para>
/// </remarks>
public sealed partial class HmmPageTable
{
    private readonly HmmPtGeometry _geometry;
    private readonly int[] _shifts;
    private readonly int _granuleShift;
    private readonly int _lastLevel;
    private readonly ulong _lastByte;
    private readonly HmmPtDirectory _root;
    private readonly long _directoryLimit;

    // Path scratch for operations that call no user code (Clear, Reclaim, Populate(range)).
    private readonly HmmPtDirectory?[] _scratchPath;

    // Last leaf found by Get/Set: consecutive accesses usually hit the same 2 MiB, and this is
    // the kernel iterator's cached ptd[llevel]. Reset whenever that directory is unlinked.
    private HmmPtDirectory? _cachedLeaf;

    private long _nextId;
    private long _allocated;
    private long _freed;
    private long _peak;
    private long _validEntries;

    // Set while Update runs its callback: the callback must not change the table.
    private bool _inUpdate;

    /// <param name="last">Highest address covered, inclusive (hmm_pt.last).</param>
    /// <param name="policy">When empty directories are unlinked.</param>
    /// <param name="granuleShift">Span of one entry: PAGE_SHIFT (12) for the HMM table, 21 for the hmm_domain table.</param>
    /// <param name="directoryLimit">Most directory pages (linked and dead) the table may hold; more is ENOMEM.</param>
    public HmmPageTable(ulong last, HmmPtReclaimPolicy policy = HmmPtReclaimPolicy.Eager, int granuleShift = PageSize.BaseShift, long directoryLimit = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(directoryLimit);
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown reclaim policy");
        _geometry = new HmmPtGeometry(last, granuleShift);
        _shifts = [.. _geometry.Shifts];
        _granuleShift = granuleShift;
        _lastLevel = _geometry.LastLevel;
        _lastByte = _geometry.LastByte;
        Policy = policy;
        _directoryLimit = directoryLimit;
        _scratchPath = new HmmPtDirectory?[_geometry.LevelCount];
        var rootLast = ((ulong)_geometry.RootEntries << _shifts[0]) - 1;
        _root = new HmmPtDirectory(0, 0, 0, rootLast, _geometry.RootEntries, _lastLevel == 0, null, 0);
    }

    public HmmPtGeometry Geometry => _geometry;

    public HmmPtReclaimPolicy Policy { get; }

    /// <summary>hmm_pt.last (masked to the granule).</summary>
    public ulong Last => _geometry.Last;

    /// <summary>hmm_pt.shift[], root first.</summary>
    public IReadOnlyList<int> Shifts => _geometry.Shifts;

    /// <summary>hmm_pt.llevel.</summary>
    public int LastLevel => _lastLevel;

    /// <summary>npgd.</summary>
    public int RootEntries => _geometry.RootEntries;

    /// <summary>hmm_pt_index().</summary>
    public int Index(ulong addr, int level) => _geometry.Index(addr, level);

    public HmmPtCounters Counters => new(_allocated, _freed, _peak, _dead.Count, _validEntries, _walkers.Count);

    /// <summary>
    /// hmm_pt_iter_populate() without taking an entry: allocates the missing directories down
    /// to the leaf that covers <paramref name="addr"/>. <see cref="Errno.EINVAL"/> beyond the
    /// table, <see cref="Errno.ENOMEM"/> past the directory limit (nothing allocated then).
    /// </summary>
    public Errno Populate(ulong addr)
    {
        ThrowIfInUpdate();
        if (addr > _lastByte) return Errno.EINVAL;
        if (CachedLeaf(addr) is not null) return Errno.None;
        return PopulateLeaf(addr, out var err) is null ? err : Errno.None;
    }

    /// <summary>
    /// Populates every leaf directory the range overlaps. All or nothing: <see cref="Errno.EINVAL"/>
    /// if the range reaches beyond the table, <see cref="Errno.ENOMEM"/> if the directories it
    /// needs exceed the limit; in both cases nothing is allocated.
    /// </summary>
    public Errno Populate(AddressRange range)
    {
        ThrowIfInUpdate();
        ValidateRange(range);
        if (range.IsEmpty) return Errno.None;
        var last = range.End - 1;
        if (last > _lastByte) return Errno.EINVAL;
        if (_directoryLimit != long.MaxValue && Live + CountMissing(_root, range.Start, last) > _directoryLimit)
            return Errno.ENOMEM;
        var addr = range.Start;
        while (true)
        {
            var leaf = PopulateLeaf(addr, out var err);
            if (leaf is null) return err;
            if (leaf.LastAddr >= last) return Errno.None;
            addr = leaf.LastAddr + 1;
        }
    }

    /// <summary>
    /// Stores an entry. A valid entry populates the path first and adds one to the leaf's
    /// refcount if the slot was empty (hmm_pt_iter_directory_ref); <see cref="HmmPte.Empty"/>
    /// clears the slot, dropping the refcount (and, with <see cref="HmmPtReclaimPolicy.Eager"/>,
    /// unlinking the directory when it empties).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Errno Set(ulong addr, HmmPte pte)
    {
        ThrowIfInUpdate();
        if (!pte.IsValid)
        {
            ClearOne(addr);
            return Errno.None;
        }
        if (addr > _lastByte) return Errno.EINVAL;
        var leaf = CachedLeaf(addr);
        if (leaf is null)
        {
            leaf = PopulateLeaf(addr, out var err);
            if (leaf is null) return err;
        }
        ref var slot = ref leaf.Entries![LeafIndex(addr)];
        if (slot == 0)
        {
            leaf.RefCount++;
            _validEntries++;
        }
        slot = pte.Raw;
        return Errno.None;
    }

    /// <summary>hmm_pt_iter_lookup(): the entry covering <paramref name="addr"/>, or <see cref="HmmPte.Empty"/> if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public HmmPte Get(ulong addr)
    {
        if (addr > _lastByte) return HmmPte.Empty;
        var leaf = CachedLeaf(addr) ?? FindLeaf(addr);
        return leaf is null ? HmmPte.Empty : HmmPte.FromRaw(leaf.Entries![LeafIndex(addr)]);
    }

    private long Live => _allocated - _freed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LeafIndex(ulong addr) => (int)((addr >> _granuleShift) & HmmPtGeometry.DirectoryMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private HmmPtDirectory? CachedLeaf(ulong addr)
    {
        var leaf = _cachedLeaf;
        return leaf is not null && addr - leaf.Base <= leaf.LastAddr - leaf.Base ? leaf : null;
    }

    // The leaf covering addr (addr within the table), or null if a directory on the way is missing.
    private HmmPtDirectory? FindLeaf(ulong addr)
    {
        var dir = _root;
        for (var level = 0; level < _lastLevel; level++)
        {
            var child = dir.Children![_geometry.Index(addr, level)];
            if (child is null) return null;
            dir = child;
        }
        _cachedLeaf = dir;
        return dir;
    }

    // Walks to the leaf covering addr (within the table), allocating missing directories.
    // Checks the limit before allocating anything, so ENOMEM leaves the table unchanged.
    private HmmPtDirectory? PopulateLeaf(ulong addr, out Errno err)
    {
        var dir = _root;
        var level = 0;
        for (; level < _lastLevel; level++)
        {
            var child = dir.Children![_geometry.Index(addr, level)];
            if (child is null) break;
            dir = child;
        }
        if (level < _lastLevel)
        {
            if (Live + (_lastLevel - level) > _directoryLimit)
            {
                err = Errno.ENOMEM;
                return null;
            }
            for (; level < _lastLevel; level++)
                dir = NewDirectory(dir, _geometry.Index(addr, level));
        }
        err = Errno.None;
        _cachedLeaf = dir;
        return dir;
    }

    // alloc_page() of a directory and hmm_pde_from_pfn() into the parent: the parent gains a valid entry.
    private HmmPtDirectory NewDirectory(HmmPtDirectory parent, int index)
    {
        var span = _shifts[parent.Level];
        var baseAddr = parent.Base + ((ulong)index << span);
        var level = parent.Level + 1;
        var dir = new HmmPtDirectory(++_nextId, level, baseAddr, baseAddr + ((1UL << span) - 1),
            HmmPtGeometry.DirectoryEntries, level == _lastLevel, parent, index);
        parent.Children![index] = dir;
        parent.RefCount++;
        _allocated++;
        if (Live > _peak) _peak = Live;
        return dir;
    }

    // Directories missing under dir for [lo, hi] (both inside dir's span): a missing entry of
    // level L needs one directory per level below L for each span of that level it overlaps.
    private long CountMissing(HmmPtDirectory dir, ulong lo, ulong hi)
    {
        if (dir.Level == _lastLevel) return 0;
        var shift = _shifts[dir.Level];
        var i0 = (int)((lo - dir.Base) >> shift);
        var i1 = (int)((hi - dir.Base) >> shift);
        long missing = 0;
        for (var i = i0; i <= i1; i++)
        {
            var entryBase = dir.Base + ((ulong)i << shift);
            var clo = Math.Max(lo, entryBase);
            var chi = Math.Min(hi, entryBase + ((1UL << shift) - 1));
            if (dir.Children![i] is { } child)
            {
                missing += CountMissing(child, clo, chi);
                continue;
            }
            for (var level = dir.Level + 1; level <= _lastLevel; level++)
                missing += (long)((chi >> _shifts[level - 1]) - (clo >> _shifts[level - 1])) + 1;
        }
        return missing;
    }

    private void ThrowIfInUpdate()
    {
        if (_inUpdate) throw new InvalidOperationException("the HMM page table must not be changed from an Update callback");
    }

    private static void ValidateRange(AddressRange range)
    {
        if (range.End < range.Start)
            throw new ArgumentException($"range {range} ends before it starts", nameof(range));
    }
}
