using System.Globalization;
using System.Text;
using IommuSim.Simulator.Reports.Html;

namespace IommuSim.Simulator.Reports.Svg;

/// <summary>
/// Writes one inline &lt;svg&gt; element: coordinates with one decimal in the invariant culture,
/// every text and attribute value escaped. The chart's name goes into <c>data-chart</c> and its
/// counts into further <c>data-*</c> attributes, which the browser test reads.
/// </summary>
internal sealed class SvgWriter
{
    private readonly StringBuilder _sb = new();

    public SvgWriter(string chart, double width, double height, string label, params (string Name, long Value)[] data)
    {
        _sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-{Attr(chart)}\" data-chart=\"{Attr(chart)}\"");
        foreach (var (name, value) in data) _sb.Append($" data-{name}=\"{value.ToString(CultureInfo.InvariantCulture)}\"");
        _sb.Append($" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" role=\"img\" aria-label=\"{Attr(label)}\">\n");
    }

    public static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Attr(string s) => HtmlText.Escape(s);

    public void Rect(double x, double y, double w, double h, string cls, string? title = null, params (string Name, string Value)[] data)
    {
        _sb.Append($"<rect class=\"{cls}\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, w))}\" height=\"{N(Math.Max(0, h))}\"");
        AppendData(data);
        CloseWithTitle("rect", title);
    }

    public void Circle(double cx, double cy, double r, string cls, string? title = null)
    {
        _sb.Append($"<circle class=\"{cls}\" cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\"");
        CloseWithTitle("circle", title);
    }

    public void Line(double x1, double y1, double x2, double y2, string cls) =>
        _sb.Append($"<line class=\"{cls}\" x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\"/>\n");

    public void Path(string d, string cls) => _sb.Append($"<path class=\"{cls}\" d=\"{d}\"/>\n");

    /// <summary>A label; <paramref name="anchor"/> is start, middle or end.</summary>
    public void Text(double x, double y, string text, string anchor = "start", string cls = "label", string? title = null)
    {
        _sb.Append($"<text class=\"{cls}\" x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\">");
        if (title is not null) _sb.Append($"<title>{HtmlText.Escape(title)}</title>");
        _sb.Append(HtmlText.Escape(text)).Append("</text>\n");
    }

    public void OpenGroup(string cls, params (string Name, string Value)[] data)
    {
        _sb.Append($"<g class=\"{cls}\"");
        AppendData(data);
        _sb.Append(">\n");
    }

    public void CloseGroup() => _sb.Append("</g>\n");

    public override string ToString() => _sb + "</svg>\n";

    private void AppendData((string Name, string Value)[] data)
    {
        foreach (var (name, value) in data) _sb.Append($" data-{name}=\"{Attr(value)}\"");
    }

    private void CloseWithTitle(string element, string? title)
    {
        if (title is null) _sb.Append("/>\n");
        else _sb.Append($"><title>{HtmlText.Escape(title)}</title></{element}>\n");
    }
}
