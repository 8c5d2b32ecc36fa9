namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The names of the figures in a run's <c>metrics</c> (README, "Metrics"). Times are simulated
/// nanoseconds (on the thread pool: wall nanoseconds since the collector was attached); a
/// latency's <c>_p50_ns</c>, <c>_p99_ns</c>, <c>_mean_ns</c> and <c>_max_ns</c> are present only
/// when something was measured.
/// </summary>
public static class MetricNames
{
    /// <summary>Simulated time the collector observed (attach to completion): the denominator of throughputs.</summary>
    public const string SpanNs = "span_ns";

    // Device faults (FaultMetrics).
    public const string DeviceFaultsStarted = "device_faults_started";
    public const string DeviceFaults = "device_faults";
    public const string DeviceFaultsFailed = "device_faults_failed";
    public const string DeviceFaultsInFlight = "device_faults_in_flight";
    public const string PagesFaulted = "pages_faulted";
    public const string FaultLatency = "fault_latency";

    // mmu-notifier invalidations and IOTLB flushes (InvalidationMetrics).
    public const string Invalidations = "invalidations";
    public const string InvalidationsInFlight = "invalidations_in_flight";
    public const string InvalidationLatency = "invalidation_latency";
    public const string IotlbFlushes = "iotlb_flushes";
    public const string DeviceTlbInvalidations = "device_tlb_invalidations";

    // Translation caches (TranslationMetrics).
    public const string IotlbHits = "iotlb_hits";
    public const string IotlbMisses = "iotlb_misses";
    public const string IotlbHitRate = "iotlb_hit_rate";
    public const string MicroTlbHits = "micro_tlb_hits";
    public const string WalkLevels = "walk_levels";
    public const string AtcHits = "atc_hits";
    public const string AtcMisses = "atc_misses";
    public const string AtcHitRate = "atc_hit_rate";

    // DMA (DmaMetrics).
    public const string DmaPages = "dma_pages";
    public const string DmaBytes = "dma_bytes";
    public const string DmaThroughput = "dma_throughput_bytes_per_s";

    /// <summary>Timeline spans not kept because the timeline was full (the figures still count them).</summary>
    public const string TimelineDropped = "timeline_dropped";

    // Live migration over iommufd dirty tracking (MigrationMetrics).
    public const string Migrations = "migrations";
    public const string MigrationsConverged = "migrations_converged";
    public const string MigrationRounds = "migration_rounds";
    public const string MigrationDirtyPagesPerRound = "migration_dirty_pages_per_round";
    public const string MigrationDirtyPagesMax = "migration_dirty_pages_max";
    public const string MigrationPagesCopied = "migration_pages_copied";
    public const string MigrationConvergenceNs = "migration_convergence_ns";
    public const string MigrationDowntimeNs = "migration_downtime_ns";
}
