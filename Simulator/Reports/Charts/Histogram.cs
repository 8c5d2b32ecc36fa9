namespace IommuSim.Simulator.Reports.Charts;

/// <summary>One bar of a latency histogram: the samples in [<paramref name="Low"/>, <paramref name="High"/>) nanoseconds.</summary>
public sealed record HistogramBucket(long Low, long High, long Count);

/// <summary>
/// A latency histogram. Latencies that span two decades or more (a fault served from the IOTLB
/// next to one that walks, misses and migrates) get logarithmic buckets on the 1-2-5 series, so
/// both ends stay visible; narrower ones get linear buckets whose width is the 1-2-5 value that
/// covers the range in at most <c>maxLinearBuckets</c> widths (one more bucket when the range
/// straddles a bucket edge).
/// </summary>
public sealed record Histogram(IReadOnlyList<HistogramBucket> Buckets, bool Logarithmic, long Samples)
{
    /// <summary>The max / min ratio from which buckets are logarithmic.</summary>
    public const long LogRatio = 100;

    public static Histogram Of(IReadOnlyList<long> values, int maxLinearBuckets = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLinearBuckets, 1);
        if (values.Count == 0) return new Histogram([], false, 0);
        long min = long.MaxValue, max = long.MinValue, minPositive = long.MaxValue;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            if (v > 0) minPositive = Math.Min(minPositive, v);
        }
        // Zeros (a latency below the clock's resolution) do not count towards the spread: they get a bucket of their own.
        var logarithmic = min >= 0 && max > 0 && max / minPositive >= LogRatio;
        var bounds = logarithmic ? LogBounds(min == 0, minPositive, max) : LinearBounds(min, max, maxLinearBuckets);
        var counts = new long[bounds.Count - 1];
        foreach (var v in values) counts[BucketOf(bounds, v)]++;
        var buckets = new HistogramBucket[counts.Length];
        for (var i = 0; i < counts.Length; i++) buckets[i] = new HistogramBucket(bounds[i], bounds[i + 1], counts[i]);
        return new Histogram(buckets, logarithmic, values.Count);
    }

    /// <summary>0 (when a sample is 0), then 1-2-5 values from the one at or below the smallest positive sample to the first above the largest.</summary>
    private static List<long> LogBounds(bool zeros, long minPositive, long max)
    {
        var bounds = new List<long>();
        if (zeros) bounds.Add(0);
        var b = NiceNumbers.Floor(minPositive);
        bounds.Add(b);
        while (b <= max && b < long.MaxValue) bounds.Add(b = NiceNumbers.Next(b));
        return bounds;
    }

    private static List<long> LinearBounds(long min, long max, int maxBuckets)
    {
        // (max - min) can exceed long.MaxValue only for negative latencies, which the collector never produces; clamp anyway.
        var span = max - min < 0 ? long.MaxValue : max - min;
        var width = NiceNumbers.Ceil(Math.Max(1, span / maxBuckets + (span % maxBuckets == 0 ? 0 : 1)));
        var start = FloorDiv(min, width) * width;
        var bounds = new List<long> { start };
        for (var b = start; b <= max;)
        {
            b = b > long.MaxValue - width ? long.MaxValue : b + width;
            bounds.Add(b);
            if (b == long.MaxValue) break;
        }
        return bounds;
    }

    private static int BucketOf(List<long> bounds, long v)
    {
        // The last bound with bounds[i] <= v; bounds are ascending and bracket every sample.
        var i = bounds.BinarySearch(v);
        var index = i >= 0 ? i : ~i - 1;
        return Math.Clamp(index, 0, bounds.Count - 2);
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}
