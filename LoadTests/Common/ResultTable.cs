using System.Globalization;

namespace IommuSim.LoadTests;

/// <summary>
/// The plain table a benchmark prints as it goes: a header, then one row per result as soon as
/// that result is measured. Fixed-width columns so that a log reads as a table.
/// </summary>
public sealed class ResultTable(TextWriter output)
{
    private const int ScenarioWidth = 14;
    private const int ParametersWidth = 40;
    private const int MedianWidth = 56;

    public void WriteHeader()
    {
        WriteRow("scenario", "parameters", "median", "runs");
        output.WriteLine(new string('-', ScenarioWidth + ParametersWidth + MedianWidth + 40));
    }

    public void Write(ScenarioResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        WriteRow(result.Scenario, result.Parameters, result.Median, result.Runs);
    }

    private void WriteRow(string scenario, string parameters, string median, string runs)
    {
        output.WriteLine($"{scenario.PadRight(ScenarioWidth - 1)} {parameters.PadRight(ParametersWidth - 1)} {median.PadRight(MedianWidth - 1)} {runs}");
        output.Flush();
    }

    /// <summary>A rate with an SI prefix: "5.71 M msgs/s".</summary>
    public static string Rate(double perSecond, string unit)
    {
        var (scaled, prefix) = perSecond switch
        {
            >= 1e9 => (perSecond / 1e9, "G "),
            >= 1e6 => (perSecond / 1e6, "M "),
            >= 1e3 => (perSecond / 1e3, "k "),
            _ => (perSecond, ""),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{scaled:0.00} {prefix}{unit}").TrimEnd();
    }

    /// <summary>Runs as a comma list of rates without the unit: "5.70 M, 5.71 M, 5.80 M".</summary>
    public static string Rates(IEnumerable<double> perSecond) =>
        string.Join(", ", perSecond.Select(r => Rate(r, "")));

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
