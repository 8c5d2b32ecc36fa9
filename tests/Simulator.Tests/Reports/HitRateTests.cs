using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Reports.Charts;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed class HitRateTests
{
    [Fact]
    public void Each_point_is_the_rate_of_the_lookups_between_two_samples()
    {
        var points = HitRate.Between(SyntheticReports.Iotlb);
        Assert.Equal(SyntheticReports.IotlbRates, points.Select(p => p.Rate));
        // The first interval runs from the start of the run, when the counters were zero.
        Assert.Equal(new HitRatePoint(0, 1_000, 90, 10), points[0]);
        // 2 µs → 3 µs had no lookup: no point, and the next interval starts at 3 µs.
        Assert.Equal((3_000L, 4_000L), (points[2].FromNs, points[2].ToNs));
        Assert.Equal(0.6, HitRate.Overall(SyntheticReports.Iotlb));
    }

    [Fact]
    public void Samples_out_of_order_are_sorted_and_counters_that_go_backwards_give_no_point()
    {
        IotlbSample[] samples = [new(2_000, 30, 10), new(1_000, 10, 10), new(3_000, 5, 5), new(4_000, 15, 5)];
        var points = HitRate.Between(samples);
        Assert.Equal([new HitRatePoint(0, 1_000, 10, 10), new HitRatePoint(1_000, 2_000, 20, 0), new HitRatePoint(3_000, 4_000, 10, 0)], points);
    }

    [Fact]
    public void Merged_intervals_keep_the_exact_rate_of_the_lookups_they_span()
    {
        // 1,000 intervals alternating 100 % and 0 %: merged pairwise into 500, each exactly 50 %.
        var samples = new List<IotlbSample>();
        long hits = 0, misses = 0;
        for (var i = 1; i <= 1_000; i++)
        {
            if (i % 2 == 1) hits += 10; else misses += 10;
            samples.Add(new IotlbSample(i * 100L, hits, misses));
        }
        var points = HitRate.Between(samples, maxPoints: 500);
        Assert.Equal(500, points.Count);
        Assert.All(points, p => Assert.Equal(0.5, p.Rate));
        Assert.Equal(points.Sum(p => p.Lookups), hits + misses);
        Assert.Equal(1_000, HitRate.Between(samples, maxPoints: 1_000).Count);
        // Merging takes every k-th sample: between half the cap and the cap.
        Assert.InRange(HitRate.Between(samples, maxPoints: 333).Count, 167, 333);
    }

    [Fact]
    public void No_samples_or_no_lookups_give_no_points_and_no_overall_rate()
    {
        Assert.Empty(HitRate.Between([]));
        Assert.Null(HitRate.Overall([]));
        Assert.Empty(HitRate.Between([new IotlbSample(0, 0, 0), new IotlbSample(500, 0, 0)]));
        Assert.Null(HitRate.Overall([new IotlbSample(500, 0, 0)]));
    }
}
