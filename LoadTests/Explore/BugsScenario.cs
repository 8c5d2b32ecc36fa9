using System.Text.Json.Nodes;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.LoadTests.Explore;

/// <summary>
/// <c>bugs</c>: for every entry of <see cref="BugCatalogue.All"/> (read when the scenario runs, so
/// bugs added later are included), PCT explores the bug's detecting scenario with the bug injected
/// from each base seed, up to the limit, and reports the schedules until the first violation or
/// failed expectation: per base seed, median and max. A bug not found within the limit from some
/// base seed misses the target (≤ limit from every base seed) and says so in its row.
/// </summary>
public sealed class BugsScenario(ExploreSizes sizes) : IScenario
{
    public const string ScenarioName = "bugs";

    public string Name => ScenarioName;

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var bug in BugCatalogue.All)
            report(Explore(bug));
    }

    private ScenarioResult Explore(Bug bug)
    {
        var scenario = ScenarioLibrary.BuiltIn(bug.DetectedBy);
        var found = new List<int?>();
        var detectedBy = new SortedSet<string>(StringComparer.Ordinal);
        var elapsed = TimeSpan.Zero;
        foreach (var baseSeed in sizes.BugBaseSeeds)
        {
            var result = Explorer.Run(scenario, new ExploreSettings
            {
                Schedules = sizes.BugLimit,
                BaseSeed = baseSeed,
                Strategy = "pct",
                Bugs = [bug.Name],
                Options = BugCatalogue.Apply([bug.Name]),
            });
            elapsed += result.Elapsed;
            if (result.Failure is { Report: var r })
            {
                found.Add(result.SchedulesRun);
                detectedBy.Add(r.Violations.Count > 0 ? r.Violations[0].Invariant : "expectation: " + r.Expectations.Failures[0].Expected);
            }
            else
            {
                found.Add(null);
            }
        }
        var hits = found.OfType<int>().Select(n => (double)n).ToArray();
        var notFound = found.Count(n => n is null);
        double? median = hits.Length > 0 ? LoadTests.Measure.Median(hits) : null;
        double? max = hits.Length > 0 ? hits.Max() : null;
        var met = notFound == 0;
        var cell = hits.Length == 0
            ? $"NOT FOUND in {sizes.BugLimit} schedules"
            : $"median {ResultTable.Number(median!.Value, "0.#")}, max {ResultTable.Number(max!.Value, "0")} schedules"
              + (notFound > 0 ? $"; NOT FOUND from {notFound} of {found.Count} base seeds" : " ok");
        var perSeed = new JsonArray();
        foreach (var n in found) perSeed.Add(n);
        var seeds = new JsonArray();
        foreach (var s in sizes.BugBaseSeeds) seeds.Add(s);
        var by = new JsonArray();
        foreach (var d in detectedBy) by.Add(d);
        return new ScenarioResult(
            Name,
            $"{bug.Name} on {scenario.Name}",
            cell,
            string.Join(", ", found.Select(n => n is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")),
            new JsonObject
            {
                ["scenario"] = Name,
                ["bug"] = bug.Name,
                ["target_scenario"] = scenario.Name,
                ["strategy"] = "pct",
                ["limit"] = sizes.BugLimit,
                ["base_seeds"] = seeds,
                ["schedules_until_detection"] = perSeed,
                ["median_schedules"] = median,
                ["max_schedules"] = max,
                ["not_found"] = notFound,
                ["detected_by"] = by,
                ["wall_seconds"] = BenchmarkReport.Round(elapsed.TotalSeconds, 3),
                ["target_met"] = met,
            });
    }
}
