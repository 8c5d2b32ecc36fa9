using System.Globalization;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Commands;

/// <summary>What run, replay and explore print about a run: the summary table, the trace hash, and the details of what failed.</summary>
internal static class RunPrinter
{
    private const int DetailsShown = 3;

    public static void Print(RunOutcome outcome, TextWriter stdout, bool ansi)
    {
        var report = outcome.Report;
        SummaryTable.Write(report, stdout, ansi);
        if (report.TraceHash is { } hash) stdout.WriteLine($"trace hash {hash:x16}");
        Details(report, stdout);
    }

    /// <summary>The first violations and failed expectations, with the events before them.</summary>
    public static void Details(RunReport report, TextWriter o)
    {
        foreach (var v in report.Violations.Take(DetailsShown))
        {
            o.WriteLine($"VIOLATION {v.Invariant} (seed {v.Seed})");
            o.WriteLine($"  step:    {v.Step}");
            o.WriteLine($"  what:    {v.Message}");
            if (v.Actors.Count > 0) o.WriteLine($"  actors:  {string.Join(", ", v.Actors)}");
            if (v.Pages.Count > 0) o.WriteLine($"  pages:   {string.Join(", ", v.Pages)}");
            // The oracle's trace events (what happened to memory and mappings), then the dispatcher's deliveries ('#' step numbers).
            var events = v.LastEvents.Where(e => !e.StartsWith('#')).TakeLast(12).ToList();
            var deliveries = v.LastEvents.Where(e => e.StartsWith('#')).TakeLast(12).ToList();
            if (events.Count > 0)
            {
                o.WriteLine("  last trace events:");
                foreach (var e in events) o.WriteLine("    " + e);
            }
            if (deliveries.Count > 0)
            {
                o.WriteLine("  last deliveries:");
                foreach (var e in deliveries) o.WriteLine("    " + e);
            }
        }
        if (report.Violations.Count > DetailsShown) o.WriteLine($"... and {report.Violations.Count - DetailsShown} more violations");
        foreach (var f in report.Expectations.Failures.Take(DetailsShown))
        {
            o.WriteLine($"FAILED {f.Step}");
            if (f.Position.Length > 0) o.WriteLine($"  at:       {f.Position}");
            o.WriteLine($"  expected: {f.Expected}");
            o.WriteLine($"  actual:   {f.Actual}");
        }
        if (report.Expectations.Failures.Count > DetailsShown) o.WriteLine($"... and {report.Expectations.Failures.Count - DetailsShown} more failed expectations");
    }
}
