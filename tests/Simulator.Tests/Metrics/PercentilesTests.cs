using IommuSim.Simulator.Metrics;
using Xunit;

namespace IommuSim.Simulator.Tests.Metrics;

public sealed class PercentilesTests
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0.5, 1)]
    [InlineData(99.5, 100)]
    public void Nearest_rank_of_one_to_a_hundred_is_the_rank_itself(double percent, long expected)
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (long)i).ToArray();
        Assert.Equal(expected, Percentiles.NearestRank(sorted, percent));
    }

    [Fact]
    public void Nearest_rank_is_always_a_sample()
    {
        long[] four = [10, 20, 30, 40];
        Assert.Equal((20L, 40L), (Percentiles.NearestRank(four, 50), Percentiles.NearestRank(four, 99)));
        Assert.Equal((7L, 7L), (Percentiles.NearestRank([7], 50), Percentiles.NearestRank([7], 99)));
    }

    [Fact]
    public void Latency_figures_come_from_the_unsorted_samples_and_are_absent_without_samples()
    {
        var metrics = new Dictionary<string, double>();
        Percentiles.AddLatency(metrics, "x", []);
        Assert.Empty(metrics);

        // 1..200 shuffled: p50 = 100, p99 = 198, mean 100.5, max 200.
        var samples = Enumerable.Range(1, 200).Select(i => (long)((i * 77) % 200) + 1).ToList();
        Percentiles.AddLatency(metrics, "x", samples);
        Assert.Equal((100.0, 198.0, 100.5, 200.0), (metrics["x_p50_ns"], metrics["x_p99_ns"], metrics["x_mean_ns"], metrics["x_max_ns"]));
        Assert.Equal((long)((1 * 77) % 200) + 1, samples[0]); // the caller's list is not sorted in place
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void A_percent_outside_0_to_100_is_refused(double percent) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank([1, 2], percent));

    [Fact]
    public void No_samples_have_no_percentile() => Assert.Throws<ArgumentException>(() => Percentiles.NearestRank([], 50));
}
