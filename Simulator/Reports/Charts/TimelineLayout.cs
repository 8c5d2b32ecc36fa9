namespace IommuSim.Simulator.Reports.Charts;

/// <summary>
/// One drawn bar of the timeline: <paramref name="Count"/> events of one kind on one lane that
/// fall within the same pixels, merged (a run with a million invalidations still draws a bounded
/// number of rectangles). <paramref name="First"/> is the earliest of them, for the tooltip.
/// </summary>
public sealed record TimelineSpan(double X0, double X1, int Row, string Kind, int Count, long FromNs, long ToNs, TimelineEvent First);

/// <summary>One actor's lane (or the lane of the actors beyond the cap); each kind of event it has gets its own row.</summary>
public sealed record TimelineLane(string Label, int Actors, IReadOnlyList<string> Rows, IReadOnlyList<TimelineSpan> Spans, int Events);

/// <summary>
/// The timeline chart's layout in pixels along the time axis: lanes per actor, rows per kind,
/// spans merged where they would overlap on screen. Pure, so that tests can check it without a
/// browser.
/// </summary>
public sealed record TimelineLayout(long StartNs, long EndNs, double Width, IReadOnlyList<string> Kinds, IReadOnlyList<TimelineLane> Lanes, int Events)
{
    /// <summary>The narrowest span drawn, so that an instantaneous event stays visible.</summary>
    public const double MinSpanWidth = 1.5;

    /// <summary>The kinds the simulator emits, in legend order; any other kind follows in ordinal order.</summary>
    public static readonly IReadOnlyList<string> KnownKinds = ["invalidation", "fault", "iopf", "flush", "migration-round"];

    public int SpanCount => Lanes.Sum(l => l.Spans.Count);

    public double X(long ns) => (double)(ns - StartNs) / (EndNs - StartNs) * Width;

    /// <summary>
    /// Lays out <paramref name="events"/> over <paramref name="width"/> pixels. With more than
    /// <paramref name="maxLanes"/> actors the busiest <c>maxLanes - 1</c> keep their lane and the
    /// others share a last one. Lanes are in ordinal actor order, which does not depend on the run's
    /// interleaving.
    /// </summary>
    public static TimelineLayout Of(IReadOnlyList<TimelineEvent> events, double width, int maxLanes = 40)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLanes, 2);
        if (events.Count == 0) return new TimelineLayout(0, 1, width, [], [], 0);
        var start = events.Min(e => e.TimeNs);
        var end = events.Max(e => e.TimeNs + Math.Max(0, e.DurationNs));
        var layout = new TimelineLayout(start, Math.Max(end, start + 1), width, OrderKinds(events.Select(e => e.Kind)), [], events.Count);

        var byActor = events.GroupBy(e => e.Actor, StringComparer.Ordinal).ToList();
        var kept = byActor;
        List<TimelineEvent> others = [];
        if (byActor.Count > maxLanes)
        {
            var busiest = byActor.OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            kept = busiest.Take(maxLanes - 1).ToList();
            others = busiest.Skip(maxLanes - 1).SelectMany(g => g).ToList();
        }
        var lanes = kept.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => layout.Lane(g.Key, 1, g.ToList())).ToList();
        if (others.Count > 0)
        {
            var actors = byActor.Count - kept.Count;
            lanes.Add(layout.Lane($"({actors} other actors)", actors, others));
        }
        return layout with { Lanes = lanes };
    }

    private TimelineLane Lane(string label, int actors, List<TimelineEvent> events)
    {
        var rows = OrderKinds(events.Select(e => e.Kind));
        var spans = new List<TimelineSpan>();
        for (var row = 0; row < rows.Count; row++)
        {
            var ofKind = events.Where(e => e.Kind == rows[row]).OrderBy(e => e.TimeNs).ThenBy(e => e.DurationNs);
            TimelineSpan? open = null;
            foreach (var e in ofKind)
            {
                var endNs = e.TimeNs + Math.Max(0, e.DurationNs);
                var x0 = X(e.TimeNs);
                var x1 = Math.Max(X(endNs), x0 + MinSpanWidth);
                // Merge what would touch the open span on screen (half a pixel apart or less).
                if (open is not null && x0 <= open.X1 + 0.5)
                {
                    open = open with { X1 = Math.Max(open.X1, x1), Count = open.Count + 1, ToNs = Math.Max(open.ToNs, endNs) };
                    continue;
                }
                if (open is not null) spans.Add(open);
                open = new TimelineSpan(x0, x1, row, rows[row], 1, e.TimeNs, endNs, e);
            }
            if (open is not null) spans.Add(open);
        }
        return new TimelineLane(label, actors, rows, spans, events.Count);
    }

    private static List<string> OrderKinds(IEnumerable<string> kinds)
    {
        var distinct = kinds.Distinct(StringComparer.Ordinal).ToList();
        return [.. KnownKinds.Where(distinct.Contains), .. distinct.Except(KnownKinds, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}
