using IommuSim.Actors.Hmm;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// The sizes of the <c>domain</c> benchmark's scenarios. <see cref="Full"/> is the specification;
/// <see cref="Quick"/> divides every count by about 100.
/// </summary>
public sealed record DomainSettings
{
    /// <summary>Translations: pages translated (and read) in total per run, over all devices.</summary>
    public long TranslatedPages { get; init; } = 100_000_000;

    /// <summary>Translations: pages per DMA burst (one message to the unit per burst).</summary>
    public int BurstPages { get; init; } = 512;

    /// <summary>Translations: bursts each device keeps in flight.</summary>
    public int BurstWindow { get; init; } = 8;

    /// <summary>Translations: devices, each behind its own IOMMU unit (units are the unit of parallelism).</summary>
    public IReadOnlyList<int> TranslationUnits { get; init; } = [1, 2];

    /// <summary>
    /// Translations: (leaf size of the mappings, micro-TLB entries per device). A 1024-page stream
    /// of 4 KiB leaves thrashes a 32-entry micro-TLB (every page misses it and hits the IOTLB);
    /// without a micro-TLB every page is one IOTLB lookup; 2 MiB leaves hit the micro-TLB.
    /// </summary>
    public IReadOnlyList<(ulong LeafBytes, int MicroTlbEntries)> TranslationConfigs { get; init; } =
        [(4096, 32), (4096, 0), (2UL << 20, 32)];

    /// <summary>Translations: pages of IOVA each device cycles over; 1024 4-KiB pages fit the 2048-entry IOTLB.</summary>
    public int WorkingSetPages { get; init; } = 1024;

    /// <summary>HMM page table: pages populated then cleared per cycle.</summary>
    public int HmmPtPages { get; init; } = 1 << 20;

    /// <summary>HMM page table: populate + clear cycles per run (directories are reused, or not, between them).</summary>
    public int HmmPtCycles { get; init; } = 3;

    public IReadOnlyList<HmmPtReclaimPolicy> HmmPtPolicies { get; init; } = [HmmPtReclaimPolicy.Eager, HmmPtReclaimPolicy.OnMunmap];

    /// <summary>Faults: pages faulted in per run, over all mms.</summary>
    public long FaultPages { get; init; } = 1 << 21;

    /// <summary>Faults: pages per dmirror command (one leaf directory: the mirror sends one RangeFault per command).</summary>
    public int FaultBatchPages { get; init; } = 512;

    /// <summary>Faults: commands each driver keeps queued at its mirror.</summary>
    public int FaultWindow { get; init; } = 4;

    /// <summary>Faults: independent (mm, mirror) pairs running at once.</summary>
    public IReadOnlyList<int> FaultMms { get; init; } = [1, 2];

    /// <summary>Faults: read faults (zero page) and write faults (a fresh page each).</summary>
    public IReadOnlyList<bool> FaultWrites { get; init; } = [false, true];

    /// <summary>Munmap: bytes mapped by every mirror and then unmapped with one munmap.</summary>
    public ulong MunmapBytes { get; init; } = 1UL << 30;

    /// <summary>Munmap: HMM domains (one IOMMU unit and IOMMU domain each).</summary>
    public int MunmapHmmDomains { get; init; } = 4;

    /// <summary>Munmap: mirrors (devices) per HMM domain.</summary>
    public int MunmapMirrorsPerDomain { get; init; } = 4;

    public MeasureSettings Measure { get; init; } = MeasureSettings.Default;

    public static DomainSettings Full { get; } = new();

    public static DomainSettings Quick { get; } = Full with
    {
        TranslatedPages = Full.TranslatedPages / 100,
        HmmPtPages = Full.HmmPtPages / 64,
        FaultPages = Full.FaultPages / 128,
        MunmapBytes = Full.MunmapBytes / 128,
    };
}
