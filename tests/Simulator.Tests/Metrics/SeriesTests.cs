using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Reports;
using Xunit;

namespace IommuSim.Simulator.Tests.Metrics;

public sealed class SeriesTests
{
    [Fact]
    public void Iotlb_samples_stay_bounded_spread_over_the_run_and_end_with_the_totals()
    {
        var sampler = new IotlbSampler(capacity: 8);
        sampler.Start(0);
        for (var burst = 1; burst <= 10_000; burst++) sampler.Add(burst * 10L, hits: 3, misses: 1);

        var samples = sampler.Samples(200_000);
        Assert.InRange(samples.Count, 8, (2 * 8) + 1);
        Assert.Equal(new IotlbSample(0, 0, 0), samples[0]);
        Assert.Equal(new IotlbSample(200_000, 30_000, 10_000), samples[^1]);
        for (var i = 1; i < samples.Count; i++) Assert.True(samples[i].TimeNs > samples[i - 1].TimeNs);
        // Every kept sample is a real cumulative count at its time.
        Assert.All(samples.Skip(1).SkipLast(1), s => Assert.Equal((s.TimeNs / 10 * 3, s.TimeNs / 10), (s.Hits, s.Misses)));
        // Spread: some sample in the first half of the run besides the start.
        Assert.Contains(samples, s => s.TimeNs is > 0 and < 50_000);
    }

    [Fact]
    public void The_last_sample_is_not_repeated()
    {
        var sampler = new IotlbSampler(capacity: 4);
        sampler.Start(0);
        sampler.Add(10, 1, 0);
        Assert.Equal([new IotlbSample(0, 0, 0), new IotlbSample(10, 1, 0)], sampler.Samples(10));
        Assert.Equal([new IotlbSample(0, 0, 0), new IotlbSample(10, 1, 0), new IotlbSample(50, 1, 0)], sampler.Samples(50));
    }

    [Fact]
    public void A_full_timeline_counts_what_it_drops_and_sorts_by_start()
    {
        var series = new RunSeriesBuilder(timelineCapacity: 2);
        series.AddSpan(new TimelineEvent(50, 10, "fault", "gpu0", "a"));
        series.AddSpan(new TimelineEvent(20, 40, "invalidation", "mm", "b"));
        series.AddSpan(new TimelineEvent(70, 0, "flush", "iommu0", "c"));

        var built = series.Build(100);
        Assert.Equal(["b", "a"], built.Timeline.Select(e => e.Detail));
        Assert.Equal(1, series.TimelineDropped);
    }

    [Fact]
    public void Capacities_must_be_usable()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunSeriesBuilder(timelineCapacity: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IotlbSampler(capacity: 1));
    }
}
