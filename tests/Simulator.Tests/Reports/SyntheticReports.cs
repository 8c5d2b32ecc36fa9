using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Tests.Reports;

/// <summary>Run reports with known series, and the figures the renderers must derive from them.</summary>
internal static class SyntheticReports
{
    /// <summary>Spans 150 ns to 2 ms: logarithmic 1-2-5 buckets from 100 ns to 5 ms, 14 of them.</summary>
    public static readonly long[] FaultLatencies = [150, 180, 450, 900, 1_200, 3_000, 3_500, 12_000, 80_000, 2_000_000];

    public static readonly long[] FaultBucketCounts = [2, 1, 1, 1, 2, 0, 1, 0, 1, 0, 0, 0, 0, 1];

    /// <summary>Spans 1 µs to 2 µs: linear buckets 50 ns wide from 1,000 to 2,050 ns, 21 of them.</summary>
    public static readonly long[] InvalidationLatencies = [1_000, 1_100, 1_250, 1_900, 2_000];

    public const int InvalidationBuckets = 21;

    /// <summary>Three actors, three kinds, six well separated spans (one per drawn rectangle).</summary>
    public static readonly TimelineEvent[] Timeline =
    [
        new(0, 2_000, "invalidation", "mm:1", "invalidate 0x1000-0x3000"),
        new(10_000, 1_000, "fault", "mirror:0", "fault 0x2000 read"),
        new(20_000, 3_000, "invalidation", "mm:1", "invalidate 0x8000-0x9000"),
        new(30_000, 500, "iopf", "iommu:0", "iopf pasid 3 0x4000"),
        new(50_000, 4_000, "fault", "mirror:0", "fault 0x9000 write"),
        new(90_000, 10_000, "invalidation", "iommu:0", "iotlb inv domain 2"),
    ];

    public const int TimelineLanes = 3;

    /// <summary>Cumulative counts; the interval 2-3 µs has no lookups, so 4 rates are drawn: 90 %, 50 %, 100 %, 0 %.</summary>
    public static readonly IotlbSample[] Iotlb =
    [
        new(1_000, 90, 10),
        new(2_000, 140, 60),
        new(3_000, 140, 60),
        new(4_000, 240, 60),
        new(5_000, 240, 160),
    ];

    public static readonly double[] IotlbRates = [0.9, 0.5, 1.0, 0.0];

    public static RunReport Full() => new()
    {
        Scenario = "munmap-vs-fault-race",
        Seed = 42,
        Dispatcher = "deterministic",
        SimulatedNs = 100_000,
        WallSeconds = 0.25,
        Events = 1_000_000,
        TraceHash = 0x0123456789abcdefUL,
        Metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["fault_latency_p50_ns"] = 1_200,
            ["fault_latency_p99_ns"] = 2_000_000,
            ["iotlb_hit_rate"] = 0.6,
            ["migration_rounds"] = 3,
        },
        Violations =
        [
            new ViolationReport("no-dma-after-unmap", "step 7 (munmap)", "device dma:0 wrote page 0x5000 after its invalidation completed",
                ["dma:0", "mm:1"], ["0x5000"], 42, ["mm:1 <- Munmap(0x5000)", "dma:0 <- DmaWrite(0x5000)"]),
        ],
        Expectations = new ExpectationResults(5, 1, [new ExpectationFailure("step 3 (mmap)", "scenarios/race.conf:12:5", "errno = EINVAL", "errno = 0")]),
        Series = new RunSeries(FaultLatencies, InvalidationLatencies, Timeline, Iotlb),
    };

    public static RunReport Empty() => new() { Scenario = "empty", Seed = 1, Dispatcher = "threadpool" };
}
