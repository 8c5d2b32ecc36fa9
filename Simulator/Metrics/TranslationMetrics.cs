using IommuSim.Messages.Trace;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The translation caches, page by page: a hit is a page the unit's micro-TLB or IOTLB
/// translated, a miss a page the walker translated (<see cref="IotlbLookups"/>; identity-domain
/// pages are looked up nowhere and count as neither). Device ATCs are counted apart
/// (<see cref="DeviceTlbLookups"/>); the pages they miss reach the unit as ATS requests and
/// count there as well. Each burst adds an IOTLB sample.
/// </summary>
public sealed class TranslationMetrics : MetricsHandler
{
    private readonly RunSeriesBuilder _series;
    private long _microTlbHits;
    private long _walkLevels;
    private long _atcHits;
    private long _atcMisses;

    public TranslationMetrics(RunSeriesBuilder series)
    {
        _series = series;
        On<IotlbLookups>(OnLookups);
        On<DeviceTlbLookups>((e, _) =>
        {
            _atcHits += e.Hits;
            _atcMisses += e.Misses;
        });
    }

    private void OnLookups(IotlbLookups e, long now)
    {
        _microTlbHits += e.MicroTlbHits;
        _walkLevels += e.WalkLevels;
        _series.Iotlb.Add(now, e.Hits, e.WalkedPages);
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        var iotlb = _series.Iotlb;
        metrics[MetricNames.IotlbHits] = iotlb.Hits;
        metrics[MetricNames.IotlbMisses] = iotlb.Misses;
        metrics[MetricNames.MicroTlbHits] = _microTlbHits;
        metrics[MetricNames.WalkLevels] = _walkLevels;
        AddRate(metrics, MetricNames.IotlbHitRate, iotlb.Hits, iotlb.Misses);
        metrics[MetricNames.AtcHits] = _atcHits;
        metrics[MetricNames.AtcMisses] = _atcMisses;
        AddRate(metrics, MetricNames.AtcHitRate, _atcHits, _atcMisses);
    }

    /// <summary>hits / (hits + misses), absent when nothing was looked up.</summary>
    private static void AddRate(IDictionary<string, double> metrics, string name, long hits, long misses)
    {
        if (hits + misses > 0) metrics[name] = (double)hits / (hits + misses);
    }
}
