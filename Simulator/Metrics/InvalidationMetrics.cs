using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// mmu-notifier invalidations, from <see cref="InvalidationStarted"/> to the
/// <see cref="InvalidationEnded"/> of the same mm and sequence (every fence in, pages changed),
/// and the IOTLB flushes (<see cref="IotlbFlushed"/>: syncs completed, with the ATCs they waited for).
/// </summary>
public sealed class InvalidationMetrics : MetricsHandler
{
    private readonly RunSeriesBuilder _series;
    private readonly Dictionary<(IActorRef Mm, long Sequence), long> _running = [];
    private long _completed;
    private long _flushes;
    private long _deviceTlbs;

    public InvalidationMetrics(RunSeriesBuilder series)
    {
        _series = series;
        On<InvalidationStarted>((e, now) => _running[(e.Mm, e.Sequence)] = now);
        On<InvalidationEnded>(OnEnded);
        On<IotlbFlushed>(OnFlushed);
    }

    private void OnEnded(InvalidationEnded e, long now)
    {
        if (!_running.Remove((e.Mm, e.Sequence), out var start)) return;
        _completed++;
        var latency = now - start;
        _series.InvalidationLatencyNs.Add(latency);
        _series.AddSpan(new TimelineEvent(start, latency, "invalidation", e.Mm.Path.Name, Describe(e.Ranges)));
    }

    private void OnFlushed(IotlbFlushed e, long now)
    {
        _flushes++;
        _deviceTlbs += e.DeviceTlbs;
        _series.AddSpan(new TimelineEvent(now, 0, "flush", e.Unit,
            $"{e.Commands.Count} command(s), domain {e.DomainId}, {e.DeviceTlbs} ATC(s)"));
    }

    private static string Describe(IReadOnlyList<InvalidationRange> ranges) =>
        ranges.Count == 1 ? ranges[0].ToString() : $"{ranges[0]} and {ranges.Count - 1} more";

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        metrics[MetricNames.Invalidations] = _completed;
        metrics[MetricNames.InvalidationsInFlight] = _running.Count;
        metrics[MetricNames.IotlbFlushes] = _flushes;
        metrics[MetricNames.DeviceTlbInvalidations] = _deviceTlbs;
        Percentiles.AddLatency(metrics, MetricNames.InvalidationLatency, _series.InvalidationLatencyNs);
    }
}
