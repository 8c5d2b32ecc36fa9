using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// An io-pgtable: the I/O page table of one IOMMU domain, in the x86-64 / ARM64 radix format with
/// a 4 KiB granule (512 eight-byte entries per 4 KiB table page, 9 IOVA bits per level). The input
/// address width sets the number of levels (39 bits: 3, 48 bits: 4, 57 bits: 5); leaves are 4 KiB
/// at the last level, 2 MiB one level up and 1 GiB two levels up, as <see cref="PageSizes"/> allows.
///
/// Semantics follow the kernel: <see cref="Map"/> is iommu_map (drivers/iommu/iommu.c __iommu_map
/// with iommu_pgsize splitting), <see cref="Unmap"/> is iommu_unmap (__iommu_unmap over a driver
/// that unmaps leaf by leaf, as AMD v1 does), <see cref="IovaToPhys"/> is iommu_iova_to_phys, and
/// <see cref="ReadAndClearDirty"/> is iommu_dirty_ops.read_and_clear_dirty (as in io-pgtable-arm,
/// AMD v1 and the iommufd selftest mock domain).
///
/// Ownership: one IoPageTable belongs to one domain actor, which alone calls it, so it takes no
/// locks. A walk with write access writes the dirty bit, so walks too must run in (or be sent to)
/// that actor; nothing here is safe to call from two threads at once.
/// </summary>
public sealed partial class IoPageTable
{
    public const int GranuleShift = PageSize.BaseShift;
    public const int BitsPerLevel = 9;
    public const int TablePageBytes = 4096;
    public const int MinAddressBits = 30;
    public const int MaxAddressBits = 57;

    private readonly IoTablePage _root = new();
    /// <summary>IOVA shift of each level's index; level 0 is the root.</summary>
    private readonly int[] _levelShift;
    /// <summary>Leaf size per level, or null where the format (or <see cref="PageSizes"/>) allows no leaf.</summary>
    private readonly PageSize?[] _leafSize;
    private readonly int _topShift;
    private readonly ulong _minPageMask;

    // Scratch path for unmap's upward directory freeing. Safe to share: one owner, no re-entrancy.
    private readonly IoTablePage[] _pathPage;
    private readonly int[] _pathIndex;

    /// <param name="addressBits">Input (IOVA) address width, 30..57 bits.</param>
    /// <param name="pageSizes">Supported leaf sizes (a pgsize_bitmap); a subset of 4K|2M|1G containing 4K.</param>
    /// <param name="outputAddressBits">Output (physical) address width, up to 64.</param>
    /// <param name="freeEmptyDirectories">Free a directory page as soon as its last entry goes (true),
    /// or keep it until the table is torn down, as io-pgtable-arm does (false).</param>
    /// <param name="dirtyTrackingSupported">Whether the hardware can set IOPTE dirty bits (AMD HAD,
    /// Intel SSADS, SMMUv3 HTTU); without it <see cref="SetDirtyTracking"/> fails with EOPNOTSUPP.</param>
    public IoPageTable(int addressBits = 48, ulong pageSizes = PageSizeBitmap.Radix4K, int outputAddressBits = 52,
        bool freeEmptyDirectories = true, bool dirtyTrackingSupported = true)
    {
        if (addressBits is < MinAddressBits or > MaxAddressBits)
            throw new ArgumentOutOfRangeException(nameof(addressBits), addressBits, $"input address width must be {MinAddressBits}..{MaxAddressBits} bits");
        if (outputAddressBits is < 32 or > 64)
            throw new ArgumentOutOfRangeException(nameof(outputAddressBits), outputAddressBits, "output address width must be 32..64 bits");
        if ((pageSizes & PageSizeBitmap.Size4K) == 0 || (pageSizes & ~PageSizeBitmap.Radix4K) != 0)
            throw new ArgumentException("page sizes must be a subset of 4K|2M|1G that contains 4K", nameof(pageSizes));

        AddressBits = addressBits;
        OutputAddressBits = outputAddressBits;
        Levels = LevelsFor(addressBits);
        FreeEmptyDirectories = freeEmptyDirectories;
        DirtyTrackingSupported = dirtyTrackingSupported;

        _levelShift = new int[Levels];
        _leafSize = new PageSize?[Levels];
        for (var level = 0; level < Levels; level++)
        {
            var shift = GranuleShift + BitsPerLevel * (Levels - 1 - level);
            _levelShift[level] = shift;
            if (shift <= 30 && (pageSizes & (1UL << shift)) != 0)
                _leafSize[level] = new PageSize(shift);
        }
        // A size whose level lies above the root (1 GiB in a 30-bit table) cannot be used.
        var usable = 0UL;
        foreach (var size in _leafSize)
            if (size is { } s) usable |= s.Bytes;
        PageSizes = usable;
        _topShift = _levelShift[0];
        _minPageMask = PageSizeBitmap.MinPageSize(usable).Bytes - 1;
        _pathPage = new IoTablePage[Levels];
        _pathIndex = new int[Levels];
        TablePages = 1; // the root (pgd) exists for the table's whole life
    }

    /// <summary>Number of radix levels for an input width: ceil((bits - 12) / 9).</summary>
    public static int LevelsFor(int addressBits) => (addressBits - GranuleShift + BitsPerLevel - 1) / BitsPerLevel;

    public int AddressBits { get; }
    public int OutputAddressBits { get; }
    public int Levels { get; }
    /// <summary>The leaf sizes this table can install (the domain's pgsize_bitmap).</summary>
    public ulong PageSizes { get; }
    public bool FreeEmptyDirectories { get; }
    public bool DirtyTrackingSupported { get; }
    /// <summary>Whether device writes set IOPTE dirty bits now (iommu_dirty_ops.set_dirty_tracking).</summary>
    public bool DirtyTracking { get; private set; }

    /// <summary>Table pages currently allocated, the root included.</summary>
    public long TablePages { get; private set; }
    public long TableBytes => TablePages * TablePageBytes;
    /// <summary>Directory pages allocated over the table's life (the root not included).</summary>
    public long DirectoriesAllocated { get; private set; }
    /// <summary>Directory pages freed over the table's life.</summary>
    public long DirectoriesFreed { get; private set; }
    /// <summary>Bytes of IOVA currently mapped.</summary>
    public ulong MappedBytes { get; private set; }
    /// <summary>Leaf IOPTEs currently present.</summary>
    public long LeafCount => _root.Leaves;
    /// <summary>Directory pages whose every entry is empty (only when <see cref="FreeEmptyDirectories"/> is false).</summary>
    public long EmptyDirectories { get; private set; }

    /// <summary>
    /// One hardware walk of the IOVA. With <paramref name="access"/> containing Write, a leaf that
    /// grants write and a table with dirty tracking on gets its dirty bit set, as AMD/Intel/SMMU
    /// hardware does on the first write through an IOPTE. <see cref="IoProt.None"/> only probes
    /// (iova_to_phys): no permission check, no dirty update.
    /// </summary>
    public IoWalk Walk(Iova iova, IoProt access = IoProt.None)
    {
        var va = iova.Value;
        if (va >> AddressBits != 0)
            return new IoWalk(IoWalkStatus.OutOfRange, default, default, default, IoProt.None, false, 0, 0);

        var page = _root;
        var shift = _topShift;
        // A write that may dirty its leaf marks the directories on its path in the pages' dirty
        // summaries on the way down (the leaf's own bit only if the write is allowed).
        var marking = (access & IoProt.Write) != 0 && DirtyTracking;
        for (var level = 0; ; level++, shift -= BitsPerLevel)
        {
            var index = (int)(va >> shift) & (IoTablePage.Entries - 1);
            ref var slot = ref page.Slots[index];
            var next = slot.Next;
            if (next is not null)
            {
                if (marking) page.Dirty.Set(index);
                page = next;
                continue;
            }
            var pte = slot.Pte;
            if (pte == 0)
                return new IoWalk(IoWalkStatus.NotPresent, default, default, default, IoProt.None, false, level + 1, 1UL << shift);

            var prot = IoPte.Prot(pte);
            var size = _leafSize[level].GetValueOrDefault();
            var pageBase = pte & IoPte.AddressMask;
            var phys = new PhysAddr(pageBase | (va & (size.Bytes - 1)));
            if ((access & ~prot) != 0)
                return new IoWalk(IoWalkStatus.PermissionFault, phys, new PhysAddr(pageBase), size, prot, page.Dirty.IsSet(index), level + 1, size.Bytes);
            if (marking) page.Dirty.Set(index);
            return new IoWalk(IoWalkStatus.Ok, phys, new PhysAddr(pageBase), size, prot, page.Dirty.IsSet(index), level + 1, size.Bytes);
        }
    }

    /// <summary>iommu_iova_to_phys: the physical address, or 0 where nothing is mapped (as the kernel returns).</summary>
    public PhysAddr IovaToPhys(Iova iova)
    {
        var walk = Walk(iova);
        return walk.IsOk ? walk.Phys : default;
    }

    /// <summary>Like <see cref="IovaToPhys"/>, but tells a hole apart from a mapping of physical address 0.</summary>
    public bool TryIovaToPhys(Iova iova, out PhysAddr phys)
    {
        var walk = Walk(iova);
        phys = walk.Phys;
        return walk.IsOk;
    }

    /// <summary>
    /// The leaves that intersect [start, start + length), in IOVA order, for oracles and reports.
    /// Absent directories are skipped whole. The table must not change while enumerating.
    /// </summary>
    public IEnumerable<IoLeaf> EnumerateLeaves(Iova start, ulong length)
    {
        if (length == 0) yield break;
        var first = start.Value;
        var last = first + (length - 1);
        if (last < first) last = ulong.MaxValue;
        var stack = new Stack<(IoTablePage Page, int Level, ulong Base, int Index)>();
        stack.Push((_root, 0, 0, FirstIndex(0, 0, first)));
        while (stack.Count > 0)
        {
            var (page, level, pageBase, index) = stack.Pop();
            var shift = _levelShift[level];
            var lastIndex = LastIndex(level, pageBase, last);
            for (; index <= lastIndex; index++)
            {
                var slotBase = pageBase + ((ulong)index << shift);
                var slot = page.Slots[index];
                if (slot.Next is { Leaves: > 0 } next)
                {
                    stack.Push((page, level, pageBase, index + 1));
                    stack.Push((next, level + 1, slotBase, FirstIndex(level + 1, slotBase, first)));
                    break;
                }
                if (slot.Pte != 0)
                    yield return new IoLeaf(new Iova(slotBase), new PhysAddr(slot.Pte & IoPte.AddressMask),
                        _leafSize[level].GetValueOrDefault(), IoPte.Prot(slot.Pte), page.Dirty.IsSet(index));
            }
        }
    }

    /// <summary>Index in a page at <paramref name="level"/> based at <paramref name="pageBase"/> of the first slot at or after <paramref name="first"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FirstIndex(int level, ulong pageBase, ulong first) =>
        first <= pageBase ? 0 : (int)((first - pageBase) >> _levelShift[level]);

    /// <summary>Index of the last slot at or before <paramref name="last"/> (inclusive), clamped to the page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LastIndex(int level, ulong pageBase, ulong last)
    {
        var offset = last - pageBase;
        var index = offset >> _levelShift[level];
        return index >= IoTablePage.Entries ? IoTablePage.Entries - 1 : (int)index;
    }

    /// <summary>The level whose leaves are <paramref name="shift"/> bits wide.</summary>
    private int LeafLevelOf(int shift) => Levels - 1 - (shift - GranuleShift) / BitsPerLevel;

    private bool InInputRange(ulong start, ulong length) =>
        start + length >= start && (start + length - 1) >> AddressBits == 0;

    private bool InOutputRange(ulong start, ulong length) =>
        start + length >= start && (OutputAddressBits == 64 || (start + length - 1) >> OutputAddressBits == 0);
}
