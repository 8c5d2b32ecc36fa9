using System.Globalization;
using System.Text.Json;

namespace IommuSim.Simulator.Reports;

/// <summary>
/// The JSON report of a run (README, "Reports"):
/// <code>
/// {"scenario","seed","dispatcher","simulated_ns","wall_seconds","events","trace_hash",
///  "violations":[{"invariant","step","message","actors","pages","seed","last_events"}],
///  "expectations":{"passed","failed","failures":[{"step","position","expected","actual"}]},
///  "metrics":{...}}
/// </code>
/// <c>trace_hash</c> is 16 hex digits (null on the thread pool). Commands may add fields of their
/// own after these (explore: <c>schedules</c>, <c>strategy</c>, ...).
/// </summary>
public static class JsonReport
{
    public static void Write(RunReport report, Stream output, Action<Utf8JsonWriter>? extra = null)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("scenario", report.Scenario);
        w.WriteNumber("seed", report.Seed);
        w.WriteString("dispatcher", report.Dispatcher);
        w.WriteNumber("simulated_ns", report.SimulatedNs);
        w.WriteNumber("wall_seconds", Math.Round(report.WallSeconds, 6));
        w.WriteNumber("events", report.Events);
        if (report.TraceHash is { } hash) w.WriteString("trace_hash", hash.ToString("x16", CultureInfo.InvariantCulture));
        else w.WriteNull("trace_hash");

        w.WriteStartArray("violations");
        foreach (var v in report.Violations)
        {
            w.WriteStartObject();
            w.WriteString("invariant", v.Invariant);
            w.WriteString("step", v.Step);
            w.WriteString("message", v.Message);
            Strings(w, "actors", v.Actors);
            Strings(w, "pages", v.Pages);
            w.WriteNumber("seed", v.Seed);
            Strings(w, "last_events", v.LastEvents);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("expectations");
        w.WriteNumber("passed", report.Expectations.Passed);
        w.WriteNumber("failed", report.Expectations.Failed);
        w.WriteStartArray("failures");
        foreach (var f in report.Expectations.Failures)
        {
            w.WriteStartObject();
            w.WriteString("step", f.Step);
            w.WriteString("position", f.Position);
            w.WriteString("expected", f.Expected);
            w.WriteString("actual", f.Actual);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("metrics");
        foreach (var (key, value) in report.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (double.IsFinite(value)) w.WriteNumber(key, value);
            else w.WriteNull(key);
        }
        w.WriteEndObject();
        extra?.Invoke(w);
        w.WriteEndObject();
    }

    public static void WriteFile(RunReport report, string path, Action<Utf8JsonWriter>? extra = null)
    {
        using var file = File.Create(path);
        Write(report, file, extra);
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
