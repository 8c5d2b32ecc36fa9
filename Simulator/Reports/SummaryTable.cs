using IommuSim.Simulator.Reports.Terminal;

namespace IommuSim.Simulator.Reports;

public static class SummaryTable
{
    /// <summary>Writes the terminal summary of <paramref name="report"/>: plain text when <paramref name="ansi"/> is false (non-TTY), a Spectre.Console table otherwise.</summary>
    public static void Write(RunReport report, TextWriter output, bool ansi)
    {
        if (ansi) SpectreSummary.Write(report, output);
        else PlainSummary.Write(report, output);
    }
}
