using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// Device faults: a fault runs from its <see cref="DeviceFaultStarted"/> to the
/// <see cref="MirrorCommitted"/> of the same mirror (device, mm) and range, retries included. A
/// mirror faults one chunk at a time, so (device, mm) names the fault in flight; a start that
/// replaces another means the earlier fault failed.
/// </summary>
public sealed class FaultMetrics : MetricsHandler
{
    private readonly RunSeriesBuilder _series;
    private readonly Dictionary<(string Device, IActorRef Mm), (long Start, AddressRange Range, bool Write)> _inFlight = [];
    private long _started;
    private long _completed;
    private long _pagesFaulted;

    public FaultMetrics(RunSeriesBuilder series)
    {
        _series = series;
        On<DeviceFaultStarted>(OnStarted);
        On<MirrorCommitted>(OnCommitted);
    }

    private void OnStarted(DeviceFaultStarted e, long now)
    {
        _started++;
        _inFlight[(e.Device, e.Mm)] = (now, e.Range, e.Write);
    }

    private void OnCommitted(MirrorCommitted e, long now)
    {
        _pagesFaulted += (long)e.Range.Pages;
        if (!_inFlight.Remove((e.Device, e.Mm), out var fault) || fault.Range != e.Range) return;
        _completed++;
        var latency = now - fault.Start;
        _series.FaultLatencyNs.Add(latency);
        _series.AddSpan(new TimelineEvent(fault.Start, latency, "fault", e.Device, $"{(fault.Write ? "write" : "read")} {e.Range}"));
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        metrics[MetricNames.DeviceFaultsStarted] = _started;
        metrics[MetricNames.DeviceFaults] = _completed;
        metrics[MetricNames.DeviceFaultsInFlight] = _inFlight.Count;
        metrics[MetricNames.DeviceFaultsFailed] = _started - _completed - _inFlight.Count;
        metrics[MetricNames.PagesFaulted] = _pagesFaulted;
        Percentiles.AddLatency(metrics, MetricNames.FaultLatency, _series.FaultLatencyNs);
    }
}
