namespace IommuSim.Simulator.Reports;

// CONTRACT (lead): the renderers helper replaces the body; the runner calls it for --html.
public static class HtmlReport
{
    /// <summary>Writes one self-contained HTML file (inline SVG charts, no external resources) for <paramref name="report"/>.</summary>
    public static void Write(RunReport report, TextWriter output) => throw new NotImplementedException("HTML report: in progress");
}
