using IommuSim.Simulator.Reports.Html;

namespace IommuSim.Simulator.Reports.Svg;

/// <summary>
/// The HTML around a chart: a figure with its heading and caption, and either the svg or, for an
/// empty series, a "no data" note that carries the same <c>data-chart</c> name and
/// <c>data-points="0"</c>, so that the page says why there is no chart rather than drawing a broken one.
/// </summary>
internal static class ChartFigure
{
    public static string Of(string chart, string heading, string caption, string body) =>
        $"<figure id=\"fig-{chart}\" class=\"chart\">\n<h3>{HtmlText.Escape(heading)}</h3>\n{body}<figcaption>{HtmlText.Escape(caption)}</figcaption>\n</figure>\n";

    public static string NoData(string chart, string heading, string why) =>
        $"<figure id=\"fig-{chart}\" class=\"chart\">\n<h3>{HtmlText.Escape(heading)}</h3>\n<p class=\"no-data\" data-chart=\"{chart}\" data-points=\"0\">No data: {HtmlText.Escape(why)}</p>\n</figure>\n";
}
