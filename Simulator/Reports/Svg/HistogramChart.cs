using IommuSim.Simulator.Reports.Charts;

namespace IommuSim.Simulator.Reports.Svg;

/// <summary>
/// A latency histogram as an svg bar chart: one <c>rect.bar</c> per bucket (empty buckets too, at
/// height 0, so the x axis stays continuous), bucket bounds in ns/µs/ms under the bars, counts on
/// the y axis. The svg carries <c>data-points</c> (samples), <c>data-bars</c> (buckets) and
/// <c>data-scale</c>.
/// </summary>
internal static class HistogramChart
{
    private const double Width = 900, Height = 300;
    private static readonly PlotArea Plot = new(70, 16, Width - 70 - 20, Height - 16 - 52);

    public static string Render(string chart, string heading, IReadOnlyList<long> latenciesNs, string emptyReason)
    {
        var stats = LatencyStats.Of(latenciesNs);
        if (stats is null) return ChartFigure.NoData(chart, heading, emptyReason);
        var histogram = Histogram.Of(latenciesNs);
        var scale = histogram.Logarithmic ? "logarithmic" : "linear";

        var svg = new SvgWriter(chart, Width, Height, $"{heading}: histogram of {stats.Count} samples",
            ("points", histogram.Samples), ("bars", histogram.Buckets.Count));
        var buckets = histogram.Buckets;
        var maxCount = buckets.Max(b => b.Count);
        var yTicks = NiceNumbers.Ticks(0, maxCount, 5).Where(t => t == Math.Floor(t)).ToList();
        var yMax = Math.Max(maxCount, yTicks[^1]);
        double Y(double count) => Plot.Bottom - count / yMax * Plot.Height;
        Plot.LeftAxis(svg, yTicks.Select(t => (Y(t), ReportFormat.Number(t))), "samples");

        var slot = Plot.Width / buckets.Count;
        for (var i = 0; i < buckets.Count; i++)
        {
            var b = buckets[i];
            var title = $"{Bound(b.Low)} to {Bound(b.High)}: {ReportFormat.Count(b.Count)} sample{(b.Count == 1 ? "" : "s")}";
            svg.Rect(Plot.Left + i * slot + 0.5, Y(b.Count), slot - 1, Plot.Bottom - Y(b.Count), "bar", title, ("count", b.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // A label at every k-th bucket bound, at most about 10 of them, so that they do not overlap.
        var every = (buckets.Count + 10) / 10;
        var ticks = Enumerable.Range(0, buckets.Count + 1).Where(i => i % every == 0)
            .Select(i => (Plot.Left + i * slot, Bound(i < buckets.Count ? buckets[i].Low : buckets[^1].High)));
        Plot.BottomAxis(svg, ticks, $"latency ({scale} buckets)");

        var caption = $"{ReportFormat.Count(stats.Count)} samples · p50 {ReportFormat.Duration(stats.P50)} · p99 {ReportFormat.Duration(stats.P99)} · max {ReportFormat.Duration(stats.Max)} · {buckets.Count} {scale} buckets";
        return ChartFigure.Of(chart, heading, caption, svg.ToString());
    }

    private static string Bound(long ns) => ns == 0 ? "0" : ReportFormat.Duration(ns);
}
