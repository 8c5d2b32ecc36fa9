using IommuSim.Simulator.Reports.Charts;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed class HistogramTests
{
    [Fact]
    public void Latencies_over_four_decades_get_1_2_5_logarithmic_buckets()
    {
        var h = Histogram.Of(SyntheticReports.FaultLatencies);
        Assert.True(h.Logarithmic);
        Assert.Equal(10, h.Samples);
        Assert.Equal(SyntheticReports.FaultBucketCounts, h.Buckets.Select(b => b.Count));
        Assert.Equal([100L, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000], h.Buckets.Select(b => b.Low));
        Assert.Equal(5_000_000, h.Buckets[^1].High);
    }

    [Fact]
    public void Narrow_latencies_get_linear_buckets_of_a_1_2_5_width()
    {
        var h = Histogram.Of(SyntheticReports.InvalidationLatencies);
        Assert.False(h.Logarithmic);
        Assert.Equal(SyntheticReports.InvalidationBuckets, h.Buckets.Count);
        Assert.All(h.Buckets, b => Assert.Equal(50, b.High - b.Low));
        Assert.Equal(1_000, h.Buckets[0].Low);
        var counts = h.Buckets.Select(b => b.Count).ToArray();
        Assert.Equal(5, counts.Sum());
        // 1,000 | 1,100 | 1,250 | 1,900 | 2,000 fall in buckets 0, 2, 5, 18 and 20.
        Assert.Equal([0, 2, 5, 18, 20], counts.Select((c, i) => (c, i)).Where(x => x.c == 1).Select(x => x.i));
    }

    [Fact]
    public void Zero_latencies_get_a_bucket_of_their_own_below_the_first_decade()
    {
        var h = Histogram.Of([0, 0, 5, 700]);
        Assert.True(h.Logarithmic);
        Assert.Equal((0L, 5L, 2L), (h.Buckets[0].Low, h.Buckets[0].High, h.Buckets[0].Count));
        Assert.Equal(4, h.Buckets.Sum(b => b.Count));
        Assert.Equal(1, h.Buckets.Single(b => b.Low <= 700 && 700 < b.High).Count);
    }

    [Fact]
    public void Equal_latencies_make_one_bucket_and_a_bucket_includes_its_low_bound_only()
    {
        var same = Histogram.Of([777, 777, 777]);
        Assert.Equal([new HistogramBucket(777, 778, 3)], same.Buckets);

        var edges = Histogram.Of([0, 10, 20, 30, 40], maxLinearBuckets: 4);
        Assert.Equal([0L, 10, 20, 30, 40], edges.Buckets.Select(b => b.Low));
        Assert.All(edges.Buckets, b => Assert.Equal(1, b.Count));
    }

    [Fact]
    public void Many_samples_keep_the_bucket_count_bounded_and_lose_none()
    {
        var values = Enumerable.Range(0, 100_000).Select(i => 1_000L + i * 7 % 900).ToArray();
        var h = Histogram.Of(values);
        Assert.False(h.Logarithmic);
        Assert.InRange(h.Buckets.Count, 10, 22);
        Assert.Equal(values.Length, h.Buckets.Sum(b => b.Count));
    }

    [Fact]
    public void An_empty_series_has_no_buckets_and_no_stats()
    {
        Assert.Empty(Histogram.Of([]).Buckets);
        Assert.Null(LatencyStats.Of([]));
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var stats = LatencyStats.Of(Enumerable.Range(1, 100).Select(i => (long)i * 10).Reverse().ToArray())!;
        Assert.Equal((100, 500L, 990L, 1000L), (stats.Count, stats.P50, stats.P99, stats.Max));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(11, 20)]
    [InlineData(200, 200)]
    [InlineData(201, 500)]
    public void The_1_2_5_series_rounds_up_and_down(long x, long ceil)
    {
        Assert.Equal(ceil, NiceNumbers.Ceil(x));
        Assert.True(NiceNumbers.Floor(x) <= x && NiceNumbers.Next(NiceNumbers.Floor(x)) > x);
    }
}
