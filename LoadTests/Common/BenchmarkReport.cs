using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IommuSim.LoadTests;

/// <summary>
/// The JSON results file: where it was measured (runtime, cores, machine, timestamp) and one
/// object per result, in the order they were measured.
/// </summary>
public static class BenchmarkReport
{
    public static JsonObject Build(IEnumerable<ScenarioResult> results, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(results);
        var array = new JsonArray();
        // A result's object goes into this document; a copy keeps the caller's object unparented.
        foreach (var r in results) array.Add(r.Json.DeepClone());
        return new JsonObject
        {
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["cores"] = Environment.ProcessorCount,
            ["machine"] = RuntimeInformation.OSDescription,
            ["timestamp"] = timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["results"] = array,
        };
    }

    public static string ToJson(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            report.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static void Write(string path, JsonObject report)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson(report));
    }

    /// <summary>
    /// Rounds for the file: rates to 0.1 event/s, latencies to 1 ns, sizes to 0.1 byte. Rounding is
    /// monotonic, so the median of rounded runs is still the rounded median.
    /// </summary>
    public static double Round(double value, int decimals) => Math.Round(value, decimals, MidpointRounding.AwayFromZero);

    public static JsonArray Array(IEnumerable<double> values, int decimals)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = new JsonArray();
        foreach (var v in values) a.Add(Round(v, decimals));
        return a;
    }
}
