using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The series of a run while it goes on, shared by the handlers (under the collector's lock).
/// Latency lists keep every sample (the percentiles need them; 8 bytes each). The timeline keeps
/// its first <see cref="TimelineCapacity"/> spans and counts the rest, so a long run still makes
/// a chart a browser can draw; the IOTLB samples thin themselves (<see cref="IotlbSampler"/>).
/// </summary>
public sealed class RunSeriesBuilder(int timelineCapacity = RunSeriesBuilder.DefaultTimelineCapacity, int iotlbSamples = IotlbSampler.DefaultCapacity)
{
    public const int DefaultTimelineCapacity = 10_000;

    private readonly List<TimelineEvent> _timeline = [];

    public int TimelineCapacity { get; } = timelineCapacity > 0
        ? timelineCapacity
        : throw new ArgumentOutOfRangeException(nameof(timelineCapacity), timelineCapacity, "must be positive");

    public List<long> FaultLatencyNs { get; } = [];

    public List<long> InvalidationLatencyNs { get; } = [];

    public IotlbSampler Iotlb { get; } = new(iotlbSamples);

    /// <summary>Spans not kept because the timeline was full.</summary>
    public long TimelineDropped { get; private set; }

    /// <summary>Adds a span to the timeline, or counts it when the timeline is full.</summary>
    public void AddSpan(TimelineEvent span)
    {
        if (_timeline.Count < TimelineCapacity) _timeline.Add(span);
        else TimelineDropped++;
    }

    /// <summary>The series so far; the timeline in start order (spans are added when they end).</summary>
    public RunSeries Build(long nowNs) => new(
        [.. FaultLatencyNs],
        [.. InvalidationLatencyNs],
        [.. _timeline.OrderBy(s => s.TimeNs)],
        Iotlb.Samples(nowNs));
}
