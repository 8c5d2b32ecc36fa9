using System.Globalization;
using System.Text;

namespace IommuSim.Simulator.Reports.Html;

/// <summary>The non-chart parts of the HTML report: summary, metrics, violations, failed expectations. Every report string is escaped.</summary>
internal static class HtmlSections
{
    private static string E(string s) => HtmlText.Escape(s);

    public static string Status(RunReport r) =>
        $"<p id=\"status\" class=\"status {(r.ExitCode == 0 ? "ok" : "failed")}\">{E(SummaryRows.Status(r))}</p>\n";

    public static string KeyValues(string id, string heading, IReadOnlyList<(string Field, string Value)> rows, string empty)
    {
        var sb = new StringBuilder($"<section id=\"{id}\">\n<h2>{E(heading)}</h2>\n");
        if (rows.Count == 0) return sb.Append($"<p class=\"no-data\">{E(empty)}</p>\n</section>\n").ToString();
        sb.Append("<table class=\"kv\">\n");
        foreach (var (field, value) in rows) sb.Append($"<tr><th scope=\"row\">{E(field)}</th><td>{E(value)}</td></tr>\n");
        return sb.Append("</table>\n</section>\n").ToString();
    }

    public static string Violations(IReadOnlyList<ViolationReport> violations)
    {
        var sb = new StringBuilder($"<section id=\"violations\">\n<h2>Violations ({violations.Count})</h2>\n");
        if (violations.Count == 0) return sb.Append("<p class=\"none\">No invariant was violated.</p>\n</section>\n").ToString();
        foreach (var v in violations)
        {
            sb.Append($"<article class=\"violation\">\n<h3>{E(v.Invariant)}</h3>\n<table class=\"kv\">\n");
            Row(sb, "step", v.Step);
            Row(sb, "message", v.Message);
            Row(sb, "actors", string.Join(", ", v.Actors));
            Row(sb, "pages", string.Join(", ", v.Pages));
            Row(sb, "seed", v.Seed.ToString(CultureInfo.InvariantCulture));
            sb.Append("</table>\n");
            if (v.LastEvents.Count > 0)
            {
                sb.Append("<details open><summary>last events</summary>\n<ol class=\"events\">\n");
                foreach (var e in v.LastEvents) sb.Append($"<li><code>{E(e)}</code></li>\n");
                sb.Append("</ol>\n</details>\n");
            }
            sb.Append("</article>\n");
        }
        return sb.Append("</section>\n").ToString();
    }

    public static string Expectations(ExpectationResults results)
    {
        var sb = new StringBuilder($"<section id=\"expectations\">\n<h2>Expectations</h2>\n<p>{results.Passed} passed, {results.Failed} failed.</p>\n");
        if (results.Failures.Count == 0) return sb.Append("</section>\n").ToString();
        sb.Append("<table class=\"grid\">\n<thead><tr><th>position</th><th>step</th><th>expected</th><th>actual</th></tr></thead>\n<tbody>\n");
        foreach (var f in results.Failures)
            sb.Append($"<tr class=\"failure\"><td><code>{E(f.Position)}</code></td><td>{E(f.Step)}</td><td><code>{E(f.Expected)}</code></td><td class=\"actual\"><code>{E(f.Actual)}</code></td></tr>\n");
        return sb.Append("</tbody>\n</table>\n</section>\n").ToString();
    }

    private static void Row(StringBuilder sb, string field, string value) =>
        sb.Append($"<tr><th scope=\"row\">{E(field)}</th><td>{E(value)}</td></tr>\n");
}
