using Spectre.Console;
using Spectre.Console.Rendering;

namespace IommuSim.Simulator.Reports.Terminal;

/// <summary>
/// The summary for a terminal: Spectre.Console tables (run, metrics, violations, failed
/// expectations) and a coloured status line. Report strings go in as <see cref="Text"/>, never as
/// markup, so a "[red]" in a scenario name is printed, not interpreted.
/// </summary>
internal static class SpectreSummary
{
    public static void Write(RunReport r, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });

        console.Write(KeyValueTable($"iommusim run: {ReportFormat.SingleLine(r.Scenario)}", SummaryRows.Run(r)));
        var metrics = SummaryRows.Metrics(r);
        if (metrics.Count > 0) console.Write(KeyValueTable("metrics", metrics));
        foreach (var table in Violations(r.Violations)) console.Write(table);
        if (r.Expectations.Failures.Count > 0) console.Write(Failures(r.Expectations.Failures));

        var ok = r.ExitCode == 0;
        console.Write(new Text(SummaryRows.Status(r), new Style(ok ? Color.Green : Color.Red, decoration: Decoration.Bold)));
        console.WriteLine();
    }

    // A table title is markup to Spectre.Console: the scenario name in it is escaped.
    private static Table KeyValueTable(string title, IReadOnlyList<(string Field, string Value)> rows)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(Markup.Escape(title), new Style(decoration: Decoration.Bold)) };
        table.AddColumn(new TableColumn("field"));
        table.AddColumn(new TableColumn("value").RightAligned());
        table.HideHeaders();
        foreach (var (field, value) in rows) table.AddRow(Plain(field), Plain(value));
        return table;
    }

    /// <summary>One table per violation (a row per field, the last events one per line), which stays readable at 80 columns.</summary>
    private static IEnumerable<Table> Violations(IReadOnlyList<ViolationReport> violations) => violations.Select((v, i) =>
    {
        var table = Titled($"violation {i + 1} of {violations.Count}: {ReportFormat.SingleLine(v.Invariant)}", "field", "value");
        table.HideHeaders();
        table.AddRow(Plain("step"), Plain(v.Step));
        table.AddRow(Plain("message"), Plain(v.Message));
        table.AddRow(Plain("actors"), Lines(v.Actors));
        table.AddRow(Plain("pages"), Lines(v.Pages));
        table.AddRow(Plain("seed"), Plain(v.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        table.AddRow(Plain("last events"), Lines(v.LastEvents));
        return table;
    });

    private static Table Failures(IReadOnlyList<ExpectationFailure> failures)
    {
        var table = Titled($"failed expectations ({failures.Count})", "position", "step", "expected", "actual");
        foreach (var f in failures) table.AddRow(Plain(f.Position), Plain(f.Step), Plain(f.Expected), new Text(ReportFormat.SingleLine(f.Actual), new Style(Color.Red)));
        return table;
    }

    private static Table Titled(string title, params string[] columns)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(Markup.Escape(title), new Style(Color.Red, decoration: Decoration.Bold)) };
        foreach (var c in columns) table.AddColumn(new TableColumn(c));
        return table;
    }

    private static Text Plain(string s) => new(ReportFormat.SingleLine(s));

    /// <summary>One report string per line of the cell (each made single-line itself).</summary>
    private static IRenderable Lines(IEnumerable<string> items) => new Text(string.Join("\n", items.Select(ReportFormat.SingleLine)));
}
