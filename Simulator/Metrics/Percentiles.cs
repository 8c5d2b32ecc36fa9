namespace IommuSim.Simulator.Metrics;

/// <summary>Percentiles by the nearest-rank method: the smallest sample with at least p% of the samples at or below it.</summary>
public static class Percentiles
{
    /// <summary>
    /// The <paramref name="percent"/>-th percentile of <paramref name="sorted"/> (ascending, not
    /// empty): the sample at rank ceil(p/100 x n), so p50 of 1..100 is 50, p99 is 99, and every
    /// result is a measured value.
    /// </summary>
    public static long NearestRank(IReadOnlyList<long> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("no samples", nameof(sorted));
        if (percent is <= 0 or > 100 || double.IsNaN(percent))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "must be in (0, 100]");
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>
    /// Adds <c>{name}_p50_ns</c>, <c>_p99_ns</c>, <c>_mean_ns</c> and <c>_max_ns</c> of
    /// <paramref name="samples"/> to <paramref name="metrics"/>; nothing when there are none (a
    /// latency that was never measured has no value, not 0).
    /// </summary>
    public static void AddLatency(IDictionary<string, double> metrics, string name, IReadOnlyList<long> samples)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return;
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        metrics[name + "_p50_ns"] = NearestRank(sorted, 50);
        metrics[name + "_p99_ns"] = NearestRank(sorted, 99);
        metrics[name + "_mean_ns"] = sorted.Average();
        metrics[name + "_max_ns"] = sorted[^1];
    }
}
