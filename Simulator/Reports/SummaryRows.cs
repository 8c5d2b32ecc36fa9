namespace IommuSim.Simulator.Reports;

/// <summary>
/// The summary of a run as (field, value) rows, formatted once for every renderer: the terminal
/// table (plain or Spectre.Console) and the HTML report show the same figures.
/// </summary>
public static class SummaryRows
{
    public static IReadOnlyList<(string Field, string Value)> Run(RunReport r) =>
    [
        ("scenario", r.Scenario),
        ("seed", r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("dispatcher", r.Dispatcher),
        ("simulated time", SimulatedTime(r)),
        ("wall time", ReportFormat.Duration(r.WallSeconds * 1e9)),
        ("events", ReportFormat.Count(r.Events)),
        ("events/s", EventsPerSecond(r)),
        ("trace hash", ReportFormat.Hash(r.TraceHash)),
        ("violations", ReportFormat.Count(r.Violations.Count)),
        ("expectations passed", ReportFormat.Count(r.Expectations.Passed)),
        ("expectations failed", ReportFormat.Count(r.Expectations.Failed)),
    ];

    /// <summary>Every metric in ordinal key order (the JSON report's order), formatted by its unit suffix.</summary>
    public static IReadOnlyList<(string Field, string Value)> Metrics(RunReport r) =>
        r.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => (m.Key, ReportFormat.Metric(m.Key, m.Value)))
            .ToList();

    /// <summary>The virtual clock at the end, "n/a" on the thread pool, which has none (<see cref="RunReport.SimulatedNs"/> is 0 there).</summary>
    public static string SimulatedTime(RunReport r) =>
        r.SimulatedNs == 0 && r.Dispatcher == "threadpool" ? "n/a (no virtual clock)" : ReportFormat.Duration(r.SimulatedNs);

    /// <summary>The simulator's own speed: delivered messages per wall-clock second ("n/a" for a run too short to time).</summary>
    public static string EventsPerSecond(RunReport r) =>
        r.WallSeconds > 0 ? ReportFormat.Number(Math.Round(r.Events / r.WallSeconds)) : "n/a";

    /// <summary>"OK", or "FAILED: 2 violations, 1 failed expectation".</summary>
    public static string Status(RunReport r)
    {
        if (r.ExitCode == 0) return "OK";
        var parts = new List<string>();
        if (r.Violations.Count > 0) parts.Add(Plural(r.Violations.Count, "violation"));
        if (r.Expectations.Failed > 0) parts.Add(Plural(r.Expectations.Failed, "failed expectation"));
        return "FAILED: " + string.Join(", ", parts);
    }

    private static string Plural(int n, string noun) => $"{ReportFormat.Count(n)} {noun}{(n == 1 ? "" : "s")}";
}
