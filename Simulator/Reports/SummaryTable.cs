namespace IommuSim.Simulator.Reports;

// CONTRACT (lead): the renderers helper replaces the body; the runner calls it after every run.
public static class SummaryTable
{
    /// <summary>Writes the terminal summary of <paramref name="report"/>: plain text when <paramref name="ansi"/> is false (non-TTY), a Spectre.Console table otherwise.</summary>
    public static void Write(RunReport report, TextWriter output, bool ansi) => throw new NotImplementedException("summary table: in progress");
}
