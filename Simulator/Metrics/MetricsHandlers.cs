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
        // Live migration (issue 4): rounds and convergence time from its trace events.
        // SVA: I/O page fault latency from the IOPF queue's events.
        new TceMetrics(),
    ];
}
