using IommuSim.Simulator.Reports.Html;
using IommuSim.Simulator.Reports.Svg;

namespace IommuSim.Simulator.Reports;

/// <summary>
/// The HTML report: one file with its stylesheet inline and every chart as inline svg, no
/// scripts, fonts or images. Its Content-Security-Policy forbids loading anything, so a page that
/// tried would show it as an error in the browser (the headless test checks there is none).
/// </summary>
public static class HtmlReport
{
    /// <summary>Writes one self-contained HTML file (inline SVG charts, no external resources) for <paramref name="report"/>.</summary>
    public static void Write(RunReport report, TextWriter output)
    {
        var title = $"iommusim: {report.Scenario}, seed {report.Seed}";
        output.Write($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{HtmlText.Escape(title)}</title>
            <style>
            {ReportStyle.Css}
            </style>
            </head>
            <body>
            <h1>{HtmlText.Escape(title)}</h1>

            """);
        output.Write(HtmlSections.Status(report));
        output.Write(HtmlSections.KeyValues("summary", "Summary", SummaryRows.Run(report), ""));
        output.Write("<section id=\"charts\">\n<h2>Charts</h2>\n");
        var series = report.Series;
        output.Write(HistogramChart.Render("fault-latency", "Fault latency", series.FaultLatencyNs, "the run served no device faults."));
        output.Write(HistogramChart.Render("invalidation-latency", "Invalidation latency", series.InvalidationLatencyNs, "the run completed no invalidations."));
        output.Write(TimelineChart.Render(series.Timeline));
        output.Write(HitRateChart.Render(series.Iotlb));
        output.Write("</section>\n");
        output.Write(HtmlSections.KeyValues("metrics", "Metrics", SummaryRows.Metrics(report), "The run reported no metrics."));
        output.Write(HtmlSections.Violations(report.Violations));
        output.Write(HtmlSections.Expectations(report.Expectations));
        output.Write("</body>\n</html>\n");
    }
}
