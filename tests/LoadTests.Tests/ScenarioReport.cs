using System.Text.Json;
using IommuSim.LoadTests;
using Xunit;

namespace IommuSim.LoadTests.Tests;

/// <summary>Runs one scenario as the command does and checks what every family's report shares.</summary>
internal static class ScenarioReport
{
    /// <summary>The scenario's JSON results; each names the scenario and has one table row after the header and its rule.</summary>
    public static JsonElement[] Run(IScenario scenario)
    {
        using var table = new StringWriter();
        var results = BenchmarkCommand.Run([scenario], table);
        var json = BenchmarkReport.ToJson(BenchmarkReport.Build(results, DateTimeOffset.UtcNow));
        using var doc = JsonDocument.Parse(json);
        var array = doc.RootElement.GetProperty("results").EnumerateArray().Select(e => e.Clone()).ToArray();
        Assert.All(array, r => Assert.Equal(scenario.Name, r.GetProperty("scenario").GetString()));
        var rows = table.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(array.Length + 2, rows.Length);
        Assert.All(rows.Skip(2), row => Assert.StartsWith(scenario.Name, row, StringComparison.Ordinal));
        return array;
    }

    /// <summary>Exactly these fields, in this order.</summary>
    public static void AssertFields(JsonElement obj, params string[] expected) =>
        Assert.Equal(expected, obj.EnumerateObject().Select(p => p.Name).ToArray());

    /// <summary>Three positive runs whose middle value is the median.</summary>
    public static void AssertRunsAndMedian(double median, IEnumerable<double> runs)
    {
        var values = runs.ToArray();
        Assert.Equal(3, values.Length);
        Assert.All(values, v => Assert.True(v > 0, $"run value {v} should be positive"));
        Assert.Equal(values.Order().ElementAt(1), median);
    }

    public static void AssertRunsAndMedian(double median, JsonElement runs) =>
        AssertRunsAndMedian(median, Doubles(runs));

    public static IEnumerable<double> Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble());
}
