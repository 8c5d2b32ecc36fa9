namespace IommuSim.Simulator.Reports.Terminal;

/// <summary>
/// The summary for a non-TTY output (a pipe, a CI log): aligned "field  value" lines, ASCII
/// structure only, no escape codes; every string from the report goes through
/// <see cref="ReportFormat.SingleLine"/>.
/// </summary>
internal static class PlainSummary
{
    public static void Write(RunReport r, TextWriter w)
    {
        w.WriteLine($"iommusim run: {Clean(r.Scenario)}");
        WriteRows(w, SummaryRows.Run(r), "  ");

        var metrics = SummaryRows.Metrics(r);
        w.WriteLine(metrics.Count == 0 ? "metrics: none" : "metrics");
        WriteRows(w, metrics, "  ");

        if (r.Violations.Count > 0)
        {
            w.WriteLine($"violations ({r.Violations.Count})");
            for (var i = 0; i < r.Violations.Count; i++) WriteViolation(w, i + 1, r.Violations[i]);
        }
        if (r.Expectations.Failures.Count > 0)
        {
            w.WriteLine($"failed expectations ({r.Expectations.Failures.Count})");
            for (var i = 0; i < r.Expectations.Failures.Count; i++) WriteFailure(w, i + 1, r.Expectations.Failures[i]);
        }
        w.WriteLine(SummaryRows.Status(r));
    }

    private static void WriteViolation(TextWriter w, int n, ViolationReport v)
    {
        var indent = "     ";
        w.WriteLine($"  {n,2}. {Clean(v.Invariant)}");
        WriteRows(w,
        [
            ("step", v.Step),
            ("message", v.Message),
            ("actors", string.Join(", ", v.Actors)),
            ("pages", string.Join(", ", v.Pages)),
            ("seed", v.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], indent);
        if (v.LastEvents.Count == 0) return;
        w.WriteLine($"{indent}last events");
        foreach (var e in v.LastEvents) w.WriteLine($"{indent}  {Clean(e)}");
    }

    private static void WriteFailure(TextWriter w, int n, ExpectationFailure f)
    {
        w.WriteLine($"  {n,2}. {Clean(f.Position)}");
        WriteRows(w, [("step", f.Step), ("expected", f.Expected), ("actual", f.Actual)], "     ");
    }

    private static void WriteRows(TextWriter w, IReadOnlyList<(string Field, string Value)> rows, string indent)
    {
        if (rows.Count == 0) return;
        var width = rows.Max(r => Clean(r.Field).Length) + 2;
        foreach (var (field, value) in rows) w.WriteLine($"{indent}{Clean(field).PadRight(width)}{Clean(value)}");
    }

    private static string Clean(string s) => ReportFormat.SingleLine(s);
}
