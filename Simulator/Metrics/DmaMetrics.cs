using IommuSim.Messages;
using IommuSim.Messages.Trace;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// Pages devices read or wrote in memory: through an IOMMU unit (<see cref="IotlbLookups"/>),
/// through a device's ATC (<see cref="DeviceTlbLookups"/>) and through a mirror's page table
/// (<see cref="DmaAccess"/>, one per page). Each page stands for a 4 KiB transfer; the
/// throughput is bytes per second of the simulated time observed.
/// </summary>
public sealed class DmaMetrics : MetricsHandler
{
    private long _pages;

    public DmaMetrics()
    {
        On<IotlbLookups>((e, _) => _pages += e.AccessedPages);
        On<DeviceTlbLookups>((e, _) => _pages += e.AccessedPages);
        On<DmaAccess>((_, _) => _pages++);
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        var bytes = (double)_pages * PageSize.Size4K.Bytes;
        metrics[MetricNames.DmaPages] = _pages;
        metrics[MetricNames.DmaBytes] = bytes;
        if (spanNs > 0) metrics[MetricNames.DmaThroughput] = bytes / (spanNs / 1e9);
    }
}
