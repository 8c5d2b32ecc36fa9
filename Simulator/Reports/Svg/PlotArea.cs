namespace IommuSim.Simulator.Reports.Svg;

/// <summary>The plotting rectangle of a chart inside its svg, and the axes drawn along it.</summary>
internal sealed record PlotArea(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;

    public double Bottom => Top + Height;

    /// <summary>The x axis under the plot: a baseline, a tick and a label at each (x, label), and the axis title.</summary>
    public void BottomAxis(SvgWriter svg, IEnumerable<(double X, string Label)> ticks, string title)
    {
        svg.Line(Left, Bottom, Right, Bottom, "axis");
        foreach (var (x, label) in ticks)
        {
            svg.Line(x, Bottom, x, Bottom + 4, "axis");
            svg.Text(x, Bottom + 16, label, "middle", "tick");
        }
        svg.Text(Left + Width / 2, Bottom + 34, title, "middle", "axis-title");
    }

    /// <summary>The y axis left of the plot, with a light grid line at every tick.</summary>
    public void LeftAxis(SvgWriter svg, IEnumerable<(double Y, string Label)> ticks, string title)
    {
        svg.Line(Left, Top, Left, Bottom, "axis");
        foreach (var (y, label) in ticks)
        {
            svg.Line(Left, y, Right, y, "grid");
            svg.Line(Left - 4, y, Left, y, "axis");
            svg.Text(Left - 7, y + 4, label, "end", "tick");
        }
        svg.Text(14, Top + Height / 2, title, "middle", "axis-title vertical");
    }
}
