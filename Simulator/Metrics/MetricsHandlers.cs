namespace IommuSim.Simulator.Metrics;

/// <summary>The handlers a collector attaches by default; a new subsystem's metrics are one more line.</summary>
public static class MetricsHandlers
{
    public static IReadOnlyList<MetricsHandler> Default(RunSeriesBuilder series) =>
    [
        new FaultMetrics(series),
        new InvalidationMetrics(series),
        new TranslationMetrics(series),
        new DmaMetrics(),
        new MigrationMetrics(series),
        // SVA: I/O page fault latency from the IOPF queue's events.
        new IopfMetrics(series),
        new TceMetrics(),
    ];
}
