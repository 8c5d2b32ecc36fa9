namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A small fully-associative translation cache (default 32 entries) in front of the IOTLB: an
/// SMMU's per-master micro-TLB, or a PCIe device's ATC / device TLB filled by ATS translation
/// requests. Same tags, LRU and invalidation semantics as <see cref="Iotlb"/>; with one set every
/// lookup scans all entries once. Owned by the device's actor; no locks.
/// </summary>
public sealed class MicroTlb : TranslationCache
{
    public const int DefaultEntries = 32;

    public MicroTlb(int entries = DefaultEntries, ulong pageSizes = PageSizeBitmap.Radix4K)
        : base(entries, entries, pageSizes)
    {
    }
}
