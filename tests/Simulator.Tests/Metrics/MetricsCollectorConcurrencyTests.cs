using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Simulator.Metrics;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Simulator.Tests.Metrics;

/// <summary>The collector fed from many threads at once, as the thread-pool dispatcher's publishers do.</summary>
public sealed class MetricsCollectorConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestKit.TestKit _kit = new(output);

    [Fact]
    public void Events_from_many_threads_are_all_counted_and_every_latency_is_positive()
    {
        long clock = 0;
        using var collector = MetricsCollector.Attach(_kit.Sys, () => Interlocked.Increment(ref clock));
        var mm = _kit.CreateTestProbe("mm").Ref;
        const int devices = 8;
        const int faults = 500;

        Parallel.For(0, devices, new ParallelOptions { MaxDegreeOfParallelism = devices }, d =>
        {
            var device = "dev" + d;
            for (var i = 0; i < faults; i++)
            {
                var range = AddressRange.FromLength((ulong)i << 21, 2 * 4096);
                collector.OnEvent(new DeviceFaultStarted(device, mm, range, Write: false));
                collector.OnEvent(new MirrorCommitted(device, mm, range, i, true));
                collector.OnEvent(new IotlbLookups("iommu0", device, false, false, 1, 2, 3, 12, 0, 6));
                var ranges = new[] { new InvalidationRange(range, InvalidationEvent.Munmap) };
                collector.OnEvent(new InvalidationStarted(mm, ranges, (d * faults) + i, 1));
                collector.OnEvent(new InvalidationEnded(mm, ranges, (d * faults) + i));
            }
        });

        var (metrics, series) = collector.Complete();
        const int total = devices * faults;
        Assert.Equal((total, total * 2.0), (metrics[MetricNames.DeviceFaults], metrics[MetricNames.PagesFaulted]));
        Assert.Equal(total, metrics[MetricNames.Invalidations]);
        Assert.Equal((total * 3.0, total * 3.0, total * 6.0), (metrics[MetricNames.IotlbHits], metrics[MetricNames.IotlbMisses], metrics[MetricNames.DmaPages]));
        Assert.All(series.FaultLatencyNs, l => Assert.True(l > 0));
        Assert.All(series.InvalidationLatencyNs, l => Assert.True(l > 0));
        Assert.Equal(2 * total, series.Timeline.Count);
    }

    public void Dispose() => _kit.Dispose();
}
