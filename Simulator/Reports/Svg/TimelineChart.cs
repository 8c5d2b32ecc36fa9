using System.Globalization;
using IommuSim.Simulator.Reports.Charts;
using IommuSim.Simulator.Reports.Html;

namespace IommuSim.Simulator.Reports.Svg;

/// <summary>
/// The timeline of invalidations, faults and the other spans: one lane (<c>g.lane</c>) per actor,
/// one row per kind within it, a <c>rect.span</c> per drawn span coloured by kind (class
/// <c>k0</c>..<c>k7</c>, the legend's colours). The svg carries <c>data-points</c> (events),
/// <c>data-lanes</c> and <c>data-spans</c> (rectangles drawn after merging).
/// </summary>
internal static class TimelineChart
{
    public const int Palette = 8;
    private const double Width = 900, LabelWidth = 170, RowHeight = 14, LanePadding = 4, Top = 8, AxisHeight = 44;

    public static string Render(IReadOnlyList<TimelineEvent> events)
    {
        const string chart = "timeline", heading = "Timeline of invalidations and faults";
        if (events.Count == 0) return ChartFigure.NoData(chart, heading, "the run recorded no timeline events.");
        var plotWidth = Width - LabelWidth - 20;
        var layout = TimelineLayout.Of(events, plotWidth);
        var height = Top + layout.Lanes.Sum(LaneHeight) + AxisHeight;
        var plot = new PlotArea(LabelWidth, Top, plotWidth, height - Top - AxisHeight);
        var svg = new SvgWriter(chart, Width, height, $"{heading}: {events.Count} events on {layout.Lanes.Count} lanes",
            ("points", layout.Events), ("lanes", layout.Lanes.Count), ("spans", layout.SpanCount));

        var y = Top;
        for (var i = 0; i < layout.Lanes.Count; i++)
        {
            var lane = layout.Lanes[i];
            svg.OpenGroup("lane", ("actor", lane.Label), ("events", lane.Events.ToString(CultureInfo.InvariantCulture)));
            svg.Rect(0, y, Width, LaneHeight(lane), i % 2 == 0 ? "lane-bg even" : "lane-bg odd");
            svg.Text(LabelWidth - 8, y + LaneHeight(lane) / 2 + 4, Shorten(lane.Label, 26), "end", "lane-label", lane.Label);
            foreach (var s in lane.Spans)
            {
                svg.Rect(plot.Left + s.X0, y + LanePadding + s.Row * RowHeight + 1, s.X1 - s.X0, RowHeight - 2,
                    $"span k{KindIndex(layout, s.Kind)}", Tooltip(s), ("kind", s.Kind), ("count", s.Count.ToString(CultureInfo.InvariantCulture)));
            }
            svg.CloseGroup();
            y += LaneHeight(lane);
        }

        var ticks = NiceNumbers.Ticks(layout.StartNs, layout.EndNs, 8)
            .Select(t => (plot.Left + layout.X((long)t), ReportFormat.Duration(t)));
        plot.BottomAxis(svg, ticks, "simulated time");

        var merged = layout.SpanCount < events.Count ? $"; events closer than a pixel are drawn as one span ({layout.SpanCount} spans)" : "";
        var caption = $"{ReportFormat.Count(events.Count)} events of {layout.Kinds.Count} kinds on {layout.Lanes.Count} actor lanes, from {ReportFormat.Duration(layout.StartNs)} to {ReportFormat.Duration(layout.EndNs)}{merged}.";
        return ChartFigure.Of(chart, heading, caption, svg + Legend(layout, events));
    }

    /// <summary>The CSS colour class of a kind: its place in the layout's kind order, modulo the palette.</summary>
    private static int KindIndex(TimelineLayout layout, string kind)
    {
        for (var i = 0; i < layout.Kinds.Count; i++)
        {
            if (layout.Kinds[i] == kind) return i % Palette;
        }
        return 0;
    }

    private static double LaneHeight(TimelineLane lane) => lane.Rows.Count * RowHeight + 2 * LanePadding;

    private static string Legend(TimelineLayout layout, IReadOnlyList<TimelineEvent> events)
    {
        var counts = events.GroupBy(e => e.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var items = layout.Kinds.Select((k, i) =>
            $"<li><span class=\"swatch k{i % Palette}\"></span>{HtmlText.Escape(k)} ({ReportFormat.Count(counts[k])})</li>");
        return $"<ul class=\"legend\" data-chart-legend=\"timeline\">{string.Concat(items)}</ul>\n";
    }

    private static string Tooltip(TimelineSpan s) => s.Count == 1
        ? $"{s.Kind} at {ReportFormat.Duration(s.FromNs)} for {ReportFormat.Duration(s.ToNs - s.FromNs)} on {s.First.Actor}: {s.First.Detail}"
        : $"{s.Count} {s.Kind} events from {ReportFormat.Duration(s.FromNs)} to {ReportFormat.Duration(s.ToNs)}; first: {s.First.Detail}";

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
