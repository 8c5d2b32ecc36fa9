using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A set of page sizes as the kernel's <c>pgsize_bitmap</c> holds it (struct iommu_domain,
/// struct io_pgtable_cfg): bit n set means pages of 2^n bytes are supported.
/// </summary>
public static class PageSizeBitmap
{
    public const ulong Size4K = 1UL << 12;
    public const ulong Size2M = 1UL << 21;
    public const ulong Size1G = 1UL << 30;

    /// <summary>The x86-64 / ARM64-4K-granule radix sizes: 4 KiB, 2 MiB, 1 GiB.</summary>
    public const ulong Radix4K = Size4K | Size2M | Size1G;

    public static bool Supports(ulong bitmap, PageSize size) => (bitmap & size.Bytes) != 0;

    /// <summary>min_pagesz in __iommu_map: 1 &lt;&lt; __ffs(pgsize_bitmap). The bitmap must not be empty.</summary>
    public static PageSize MinPageSize(ulong bitmap) => new(BitOperations.TrailingZeroCount(bitmap));

    public static PageSize MaxPageSize(ulong bitmap) => new(63 - BitOperations.LeadingZeroCount(bitmap));

    /// <summary>The supported sizes, smallest first.</summary>
    public static IEnumerable<PageSize> Sizes(ulong bitmap)
    {
        for (var rest = bitmap; rest != 0; rest &= rest - 1)
            yield return new PageSize(BitOperations.TrailingZeroCount(rest));
    }

    /// <summary>
    /// iommu_pgsize (drivers/iommu/iommu.c) without its batching count: the largest supported page
    /// that fits in <paramref name="size"/> and to which both <paramref name="iova"/> and
    /// <paramref name="paddr"/> are aligned. The caller has checked that iova, paddr and size are
    /// aligned to the smallest supported page, so the result always exists (the kernel's BUG_ON).
    /// </summary>
    public static PageSize IommuPgsize(ulong bitmap, ulong iova, ulong paddr, ulong size)
    {
        // pgsizes = pgsize_bitmap & GENMASK(__fls(size), 0): sizes no larger than size's top bit.
        var fls = 63 - BitOperations.LeadingZeroCount(size);
        var pgsizes = bitmap & (fls == 63 ? ulong.MaxValue : (2UL << fls) - 1);
        var addrMerge = iova | paddr;
        if (addrMerge != 0)
        {
            // pgsizes &= GENMASK(__ffs(addr_merge), 0): sizes both addresses are aligned to.
            var ffs = BitOperations.TrailingZeroCount(addrMerge);
            pgsizes &= ffs == 63 ? ulong.MaxValue : (2UL << ffs) - 1;
        }
        if (pgsizes == 0)
            throw new InvalidOperationException("iommu_pgsize: no page size fits; the caller skipped the alignment check");
        return new PageSize(63 - BitOperations.LeadingZeroCount(pgsizes));
    }
}
