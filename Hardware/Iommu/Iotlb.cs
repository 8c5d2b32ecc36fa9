namespace IommuSim.Hardware.Iommu;

/// <summary>
/// The IOMMU unit's IOTLB: a set-associative cache of leaf translations (default 2048 entries,
/// 4-way, so 512 sets), filled by the page walker and emptied by the invalidation queue.
/// Owned by the IommuUnitActor; no locks.
/// </summary>
public sealed class Iotlb : TranslationCache
{
    public const int DefaultEntries = 2048;
    public const int DefaultWays = 4;

    public Iotlb(int entries = DefaultEntries, int ways = DefaultWays, ulong pageSizes = PageSizeBitmap.Radix4K)
        : base(entries, ways, pageSizes)
    {
    }
}
