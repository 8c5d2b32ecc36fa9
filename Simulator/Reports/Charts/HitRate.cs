namespace IommuSim.Simulator.Reports.Charts;

/// <summary>The IOTLB lookups between two samples: the hit rate over [<paramref name="FromNs"/>, <paramref name="ToNs"/>].</summary>
public sealed record HitRatePoint(long FromNs, long ToNs, long Hits, long Misses)
{
    public long Lookups => Hits + Misses;

    public double Rate => (double)Hits / Lookups;
}

/// <summary>
/// The IOTLB hit rate over time from cumulative samples (<see cref="IotlbSample"/>): each point is
/// the slope between two samples, hits / (hits + misses) of the lookups made in between. The
/// counts start at zero with the run, so the first sample is measured from (0 ns, 0, 0).
/// </summary>
public static class HitRate
{
    /// <summary>
    /// One point per interval with lookups (intervals without any have no rate and are left out,
    /// as are intervals whose counters went backwards). With more than <paramref name="maxPoints"/>
    /// intervals, consecutive intervals are merged by taking every k-th sample: the counts are
    /// cumulative, so a merged interval's rate is exact, not an average of rates.
    /// </summary>
    public static IReadOnlyList<HitRatePoint> Between(IReadOnlyList<IotlbSample> samples, int maxPoints = 400)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 1);
        if (samples.Count == 0) return [];
        var ordered = samples.OrderBy(s => s.TimeNs).ToList();
        var origin = new IotlbSample(Math.Min(0, ordered[0].TimeNs), 0, 0);
        var bounds = new List<IotlbSample>(ordered.Count + 1) { origin };
        bounds.AddRange(ordered);

        var intervals = bounds.Count - 1;
        var stride = (intervals + maxPoints - 1) / maxPoints;
        var picked = new List<IotlbSample>();
        for (var i = 0; i < bounds.Count; i += stride) picked.Add(bounds[i]);
        if (intervals % stride != 0) picked.Add(bounds[^1]);

        var points = new List<HitRatePoint>(picked.Count);
        for (var i = 1; i < picked.Count; i++)
        {
            var (a, b) = (picked[i - 1], picked[i]);
            var hits = b.Hits - a.Hits;
            var misses = b.Misses - a.Misses;
            if (hits < 0 || misses < 0 || hits + misses == 0) continue;
            points.Add(new HitRatePoint(a.TimeNs, b.TimeNs, hits, misses));
        }
        return points;
    }

    /// <summary>The whole run's hit rate (the last sample's counts), or null when nothing was looked up.</summary>
    public static double? Overall(IReadOnlyList<IotlbSample> samples)
    {
        if (samples.Count == 0) return null;
        var last = samples.MaxBy(s => s.TimeNs)!;
        var lookups = last.Hits + last.Misses;
        return lookups > 0 ? (double)last.Hits / lookups : null;
    }
}
