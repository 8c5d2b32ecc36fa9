using System.Text.Json.Nodes;

namespace IommuSim.LoadTests;

/// <summary>
/// One named scenario of a benchmark family. It may produce several results (one per parameter
/// combination) and reports each as soon as it has it, so that the table fills in as a long
/// benchmark goes rather than at the end.
/// </summary>
public interface IScenario
{
    /// <summary>The name <c>--only</c> selects it by, and the <c>scenario</c> field of its JSON results.</summary>
    string Name { get; }

    void Run(Action<ScenarioResult> report);
}

/// <summary>
/// One result: the four cells of its table row, and its JSON object for the results file.
/// </summary>
public sealed record ScenarioResult(string Scenario, string Parameters, string Median, string Runs, JsonObject Json);
