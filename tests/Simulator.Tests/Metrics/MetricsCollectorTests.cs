using System.Diagnostics;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Simulator.Metrics;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Simulator.Tests.Metrics;

/// <summary>The collector over real actors, on both dispatchers (virtual clock, or wall time on the thread pool).</summary>
public abstract class MetricsCollectorTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private const ulong DirectoryPages = 512;

    private readonly Stopwatch _wall = Stopwatch.StartNew();

    /// <summary>What the runner passes: the virtual clock, or elapsed wall time on the thread pool.</summary>
    private long NowNs() => Sys.Deterministic is { } d ? d.Clock.NowTicks * 100 : (long)_wall.Elapsed.TotalNanoseconds;

    private MetricsCollector Attach() => MetricsCollector.Attach(Sys, NowNs);

    [Fact]
    public void Faults_and_invalidations_give_their_counts_latencies_and_timeline()
    {
        var stack = new SimStack(Kit);
        const ulong pages = 600;
        var address = stack.Mmap(pages);
        using var collector = Attach();

        stack.MirrorRead(address, pages);
        stack.Munmap(address, pages);
        var (metrics, series) = collector.Complete();

        // The mirror faults one leaf directory (2 MiB) at a time.
        var chunks = (long)(((address + (pages * SimStack.Page) - 1) / (DirectoryPages * SimStack.Page)) - (address / (DirectoryPages * SimStack.Page)) + 1);
        Assert.Equal(chunks, metrics[MetricNames.DeviceFaultsStarted]);
        Assert.Equal(chunks, metrics[MetricNames.DeviceFaults]);
        Assert.Equal((0.0, 0.0), (metrics[MetricNames.DeviceFaultsFailed], metrics[MetricNames.DeviceFaultsInFlight]));
        Assert.Equal(pages, metrics[MetricNames.PagesFaulted]);
        Assert.Equal(chunks, series.FaultLatencyNs.Count);
        Assert.Equal(1, metrics[MetricNames.Invalidations]);
        Assert.Single(series.InvalidationLatencyNs);
        Assert.Equal(pages, metrics[MetricNames.DmaPages]); // the mirror's reads
        Assert.Equal(pages * 4096.0, metrics[MetricNames.DmaBytes]);

        foreach (var name in new[] { MetricNames.FaultLatency, MetricNames.InvalidationLatency })
        {
            Assert.True(metrics[name + "_p50_ns"] <= metrics[name + "_p99_ns"]);
            Assert.True(metrics[name + "_p99_ns"] <= metrics[name + "_max_ns"]);
            Assert.True(metrics[name + "_p50_ns"] >= 0);
        }
        Assert.All(series.FaultLatencyNs, l => Assert.True(l >= 0));

        Assert.Equal(Enumerable.Repeat("fault", (int)chunks).Append("invalidation"), series.Timeline.Select(e => e.Kind));
        Assert.Equal(series.Timeline.OrderBy(e => e.TimeNs).Select(e => e.TimeNs), series.Timeline.Select(e => e.TimeNs));
        Assert.All(series.Timeline.Where(e => e.Kind == "fault"), e => Assert.Equal(("gpu-hmm", true), (e.Actor, e.Detail.StartsWith("read ", StringComparison.Ordinal))));
        Assert.Contains("Munmap", series.Timeline[^1].Detail, StringComparison.Ordinal);
        Assert.Equal(series.InvalidationLatencyNs[0], series.Timeline[^1].DurationNs);
        Assert.Equal(0, metrics[MetricNames.TimelineDropped]);
    }

    [Fact]
    public void Iotlb_hit_rate_and_samples_count_pages_by_how_they_were_translated()
    {
        var stack = new SimStack(Kit, "{ micro-tlb-entries = 0 }", ("nic0", 0));
        const int pages = 16;
        stack.MapPages(pages);
        using var collector = Attach();

        stack.DmaRead("nic0", pages); // every page walked
        stack.DmaRead("nic0", pages); // every page an IOTLB hit
        var unit = stack.Call<IommuUnitStats>(stack.Unit.Ref, new GetIommuUnitStats());
        var (metrics, series) = collector.Complete();

        Assert.Equal((16.0, 16.0, 0.5), (metrics[MetricNames.IotlbHits], metrics[MetricNames.IotlbMisses], metrics[MetricNames.IotlbHitRate]));
        Assert.Equal(unit.WalkLevels, metrics[MetricNames.WalkLevels]);
        Assert.Equal(0, metrics[MetricNames.MicroTlbHits]);
        Assert.False(metrics.ContainsKey(MetricNames.AtcHitRate)); // no ATC looked anything up

        var samples = series.Iotlb;
        Assert.Equal((0, 0), (samples[0].Hits, samples[0].Misses));
        Assert.Equal((16, 16), (samples[^1].Hits, samples[^1].Misses));
        // The first burst's sample has the misses, the second adds the hits.
        Assert.Contains(samples, s => (s.Hits, s.Misses) == (0, 16));
        for (var i = 1; i < samples.Count; i++)
        {
            Assert.True(samples[i].TimeNs >= samples[i - 1].TimeNs);
            Assert.True(samples[i].Hits >= samples[i - 1].Hits && samples[i].Misses >= samples[i - 1].Misses);
        }

        Assert.Equal(2 * pages, metrics[MetricNames.DmaPages]);
        var span = metrics[MetricNames.SpanNs];
        Assert.True(span > 0);
        Assert.Equal(2 * pages * 4096 / (span / 1e9), metrics[MetricNames.DmaThroughput], 6);
    }

    [Fact]
    public void A_device_atc_counts_its_hits_apart_and_its_misses_reach_the_unit_as_ats_requests()
    {
        var stack = new SimStack(Kit, "{}", ("gpu0", 64));
        const int pages = 8;
        stack.MapPages(pages);
        using var collector = Attach();

        stack.DmaRead("gpu0", pages);
        stack.DmaRead("gpu0", pages);
        var (metrics, _) = collector.Complete();

        Assert.Equal((8.0, 8.0, 0.5), (metrics[MetricNames.AtcHits], metrics[MetricNames.AtcMisses], metrics[MetricNames.AtcHitRate]));
        // The ATS request walked the 8 pages; the unit accessed no memory for it, the device did.
        Assert.Equal((0.0, 8.0), (metrics[MetricNames.IotlbHits], metrics[MetricNames.IotlbMisses]));
        Assert.Equal(2 * pages, metrics[MetricNames.DmaPages]);
    }

    [Fact]
    public void With_no_subscriber_no_trace_event_is_built_and_with_one_only_its_type_is()
    {
        var stack = new SimStack(Kit, "{}", ("nic0", 0), ("gpu0", 16));
        stack.MapPages(8);
        var address = stack.Mmap(8);

        void Workload()
        {
            stack.DmaRead("nic0", 8);
            stack.DmaRead("gpu0", 8);
            stack.DmaRead("gpu0", 8);
            stack.MirrorRead(address, 8);
        }

        Workload();
        stack.Munmap(address, 8);
        Assert.False(Sys.EventStream.HasSubscribers(typeof(ITraceEvent)));
        Assert.Equal(0, Sys.EventStream.UnobservedPublishes);

        // A subscriber to one type gets it, and nothing else is built for it.
        var seen = new List<DeviceTlbLookups>();
        using (Sys.EventStream.Subscribe(typeof(DeviceTlbLookups), e =>
        {
            lock (seen) seen.Add((DeviceTlbLookups)e);
        }))
        {
            address = stack.Mmap(8);
            Workload();
        }
        Assert.Equal(0, Sys.EventStream.UnobservedPublishes);
        lock (seen) Assert.Equal([new DeviceTlbLookups("gpu0", false, 8, 0, 8), new DeviceTlbLookups("gpu0", false, 8, 0, 8)], seen);
    }
}

public sealed class MetricsCollectorThreadPoolTests(ITestOutputHelper output) : MetricsCollectorTests(output, deterministic: false);

public sealed class MetricsCollectorDeterministicTests(ITestOutputHelper output) : MetricsCollectorTests(output, deterministic: true);
