using System.Text;
using IommuSim.Simulator.Reports.Charts;

namespace IommuSim.Simulator.Reports.Svg;

/// <summary>
/// The IOTLB hit rate over time: a step line at each interval's rate, a <c>circle.point</c> at
/// its middle, and the run's overall rate as a dashed line. The svg carries <c>data-points</c>
/// (intervals drawn) and <c>data-samples</c> (samples in the report).
/// </summary>
internal static class HitRateChart
{
    private const double Width = 900, Height = 280;
    private static readonly PlotArea Plot = new(70, 16, Width - 70 - 20, Height - 16 - 52);

    public static string Render(IReadOnlyList<IotlbSample> samples)
    {
        const string chart = "iotlb-hit-rate", heading = "IOTLB hit rate over time";
        var points = HitRate.Between(samples);
        if (points.Count == 0)
            return ChartFigure.NoData(chart, heading, samples.Count == 0 ? "the run recorded no IOTLB samples." : "no IOTLB lookups between the samples.");

        var svg = new SvgWriter(chart, Width, Height, $"{heading}: {points.Count} intervals", ("points", points.Count), ("samples", samples.Count));
        var start = points[0].FromNs;
        var end = Math.Max(points[^1].ToNs, start + 1);
        double X(double ns) => Plot.Left + (ns - start) / (end - start) * Plot.Width;
        double Y(double rate) => Plot.Bottom - rate * Plot.Height;

        Plot.LeftAxis(svg, new[] { 0, 0.25, 0.5, 0.75, 1 }.Select(r => (Y(r), $"{r * 100:0} %")), "hit rate");
        Plot.BottomAxis(svg, NiceNumbers.Ticks(start, end, 8).Select(t => (X(t), ReportFormat.Duration(t))), "simulated time");

        var d = new StringBuilder();
        double? lastX = null;
        foreach (var p in points)
        {
            var (x0, x1, y) = (X(p.FromNs), X(p.ToNs), Y(p.Rate));
            d.Append(lastX is { } lx && Math.Abs(lx - x0) < 0.05 ? $"V{SvgWriter.N(y)}" : $"M{SvgWriter.N(x0)},{SvgWriter.N(y)}");
            d.Append($"H{SvgWriter.N(x1)}");
            lastX = x1;
        }
        svg.Path(d.ToString(), "rate");

        var overall = HitRate.Overall(samples);
        if (overall is { } o)
        {
            svg.Line(Plot.Left, Y(o), Plot.Right, Y(o), "overall");
            svg.Text(Plot.Right - 4, Y(o) - 5, $"run: {ReportFormat.Percent(o)}", "end", "overall-label");
        }
        foreach (var p in points)
        {
            svg.Circle(X((p.FromNs + p.ToNs) / 2.0), Y(p.Rate), 3, "point",
                $"{ReportFormat.Duration(p.FromNs)} to {ReportFormat.Duration(p.ToNs)}: {ReportFormat.Percent(p.Rate)} of {ReportFormat.Count(p.Lookups)} lookups");
        }

        var caption = $"Hits / lookups between consecutive samples ({ReportFormat.Count(points.Count)} intervals from {ReportFormat.Count(samples.Count)} samples)"
            + (overall is { } all ? $"; {ReportFormat.Percent(all)} over the run (dashed)." : ".");
        return ChartFigure.Of(chart, heading, caption, svg.ToString());
    }
}
