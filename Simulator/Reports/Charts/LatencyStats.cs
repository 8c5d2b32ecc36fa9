namespace IommuSim.Simulator.Reports.Charts;

/// <summary>Count and nearest-rank percentiles of a latency series, for a chart's caption.</summary>
public sealed record LatencyStats(int Count, long P50, long P99, long Max)
{
    public static LatencyStats? Of(IReadOnlyList<long> values)
    {
        if (values.Count == 0) return null;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new LatencyStats(sorted.Length, NearestRank(sorted, 0.50), NearestRank(sorted, 0.99), sorted[^1]);
    }

    /// <summary>The smallest sample with at least a fraction <paramref name="q"/> of the samples at or below it.</summary>
    public static long NearestRank(long[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
