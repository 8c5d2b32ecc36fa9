using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// The shape of an HMM page table, computed exactly as seed 001's hmm_pt_init(): every
/// directory is one 4 KiB page of 8-byte entries, so directory_shift = PAGE_SHIFT -
/// ilog2(sizeof(dma_addr_t)) = 9; the root (level 0) takes whatever address bits remain above
/// the lower levels, so it may have fewer than 512 entries.
/// </summary>
/// <remarks>
/// <para>Levels are numbered consistently, as the review asks: level 0 is the root,
/// <see cref="LastLevel"/> is the level whose entries are the table's entries, and arrays
/// indexed by level (<see cref="Shifts"/>, a walker's directories) have
/// <see cref="LevelCount"/> slots, with no "level - 1" offsets.</para>
/// <para>The granule (the span of one leaf entry) is PAGE_SHIFT for the HMM table. Seed 000's
/// hmm_domain builds a second table with page_shift = 2*PAGE_SHIFT - 3 = 21, one entry per
/// leaf directory of the HMM table, so the granule is a parameter.</para>
/// </remarks>
public sealed class HmmPtGeometry
{
    /// <summary>directory_shift: log2 of 4096 / sizeof(dma_addr_t).</summary>
    public const int DirectoryShift = PageSize.BaseShift - 3;

    /// <summary>Entries per directory below the root.</summary>
    public const int DirectoryEntries = 1 << DirectoryShift;

    /// <summary>directory_mask.</summary>
    public const ulong DirectoryMask = DirectoryEntries - 1;

    /// <summary>HMM_PT_MAX_LEVEL for 4 KiB granules over a 64-bit space (shifts 57..12).</summary>
    public const int MaxLevels = 6;

    /// <summary>The granule of seed 000's hmm_domain table: 2*PAGE_SHIFT - (ffs(BITS_PER_LONG) - 4) = 21.</summary>
    public const int DomainGranuleShift = 2 * PageSize.BaseShift - 3;

    private readonly int[] _shifts;
    private readonly ulong[] _masks;

    /// <param name="last">Highest address the table covers, inclusive (hmm_pt.last); masked to the granule as hmm_pt_init masks it with PAGE_MASK.</param>
    /// <param name="granuleShift">log2 of the span of one leaf entry: 12 for the HMM table, 21 for the hmm_domain table.</param>
    public HmmPtGeometry(ulong last, int granuleShift = PageSize.BaseShift)
    {
        if (granuleShift is < PageSize.BaseShift or > 63 - DirectoryShift)
            throw new ArgumentOutOfRangeException(nameof(granuleShift), granuleShift, $"granule shift must be between {PageSize.BaseShift} and {63 - DirectoryShift}");
        GranuleShift = granuleShift;
        Last = last & ~((1UL << granuleShift) - 1);

        // shift[0] = ((__fls(last >> PAGE_SHIFT) / directory_shift) * directory_shift) + PAGE_SHIFT.
        // __fls(0) is undefined in the kernel; a table whose last granule is 0 has one root
        // entry, which is what taking __fls(0) = 0 gives.
        var top = Last >> granuleShift;
        var fls = top == 0 ? 0 : BitOperations.Log2(top);
        var shift0 = fls / DirectoryShift * DirectoryShift + granuleShift;

        // while (shift[i++] > PAGE_SHIFT) shift[i] = shift[i - 1] - directory_shift; llevel = i - 1.
        LevelCount = (shift0 - granuleShift) / DirectoryShift + 1;
        LastLevel = LevelCount - 1;
        _shifts = new int[LevelCount];
        _masks = new ulong[LevelCount];
        for (var level = 0; level < LevelCount; level++)
        {
            _shifts[level] = shift0 - level * DirectoryShift;
            _masks[level] = ~((1UL << _shifts[level]) - 1);
        }

        // npgd = (last >> shift[0]) + 1.
        RootEntries = (int)(Last >> shift0) + 1;
    }

    /// <summary>hmm_pt.last after masking: the base of the highest granule covered.</summary>
    public ulong Last { get; }

    /// <summary>Highest byte address covered (inclusive).</summary>
    public ulong LastByte => Last + ((1UL << GranuleShift) - 1);

    public int GranuleShift { get; }

    public ulong GranuleSize => 1UL << GranuleShift;

    /// <summary>hmm_pt.shift[]: the address shift of each level's entries, root first.</summary>
    public IReadOnlyList<int> Shifts => _shifts;

    /// <summary>hmm_pt.llevel: index of the level that holds the table's entries.</summary>
    public int LastLevel { get; }

    public int LevelCount { get; }

    /// <summary>npgd: entries in the root directory (1 to 512).</summary>
    public int RootEntries { get; }

    /// <summary>hmm_pt_index(): (addr &gt;&gt; shift[level]) &amp; directory_mask.</summary>
    public int Index(ulong addr, int level) => (int)((addr >> _shifts[level]) & DirectoryMask);

    /// <summary>hmm_pt.mask[level]: clears the address bits below one entry of that level.</summary>
    public ulong Mask(int level) => _masks[level];

    /// <summary>Bytes covered by one entry of <paramref name="level"/>.</summary>
    public ulong EntrySpan(int level) => 1UL << _shifts[level];

    /// <summary>Entries in a directory of <paramref name="level"/>.</summary>
    public int EntriesAt(int level) => level == 0 ? RootEntries : DirectoryEntries;

    /// <summary>Whether an address lies inside the table (at most <see cref="LastByte"/>).</summary>
    public bool Covers(ulong addr) => addr <= LastByte;

    internal int ShiftAt(int level) => _shifts[level];

    public override string ToString() =>
        $"last={AddressFormat.Hex(Last)} granule={GranuleShift} shifts=[{string.Join(",", _shifts)}] llevel={LastLevel} npgd={RootEntries}";
}
