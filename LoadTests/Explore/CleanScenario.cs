using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.LoadTests.Explore;

/// <summary>
/// <c>clean</c>: for every built-in scenario (<see cref="ScenarioLibrary.BuiltInNames"/>, read when
/// the scenario runs, so built-ins added later are included) the schedules are split evenly over
/// the strategies and run without bugs; the target is no invariant violation and no failed
/// expectation. The explorer stops at a failing schedule: the campaign counts it and resumes at
/// the next seed, so that every schedule runs and every failure is counted. A line per 10% of
/// each campaign goes to <see cref="ExploreSizes.Progress"/>.
/// </summary>
public sealed class CleanScenario(ExploreSizes sizes) : IScenario
{
    public const string ScenarioName = "clean";

    public string Name => ScenarioName;

    private sealed record Campaign(int Schedules, int FailingSchedules, int Violations, int FailedExpectations, ulong? FirstFailingSeed, TimeSpan Elapsed);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var perStrategy = sizes.CleanSchedules / sizes.CleanStrategies.Count;
        foreach (var name in sizes.CleanScenarios ?? ScenarioLibrary.BuiltInNames)
            foreach (var strategy in sizes.CleanStrategies)
                report(Result(name, strategy, RunCampaign(ScenarioLibrary.BuiltIn(name), strategy, perStrategy)));
    }

    private Campaign RunCampaign(Scenario scenario, string strategy, int schedules)
    {
        var watch = Stopwatch.StartNew();
        int done = 0, failing = 0, violations = 0, failedExpectations = 0;
        ulong? firstFailing = null;
        var nextTenth = 1;
        while (done < schedules)
        {
            var start = done;
            var result = Explorer.Run(scenario, new ExploreSettings
            {
                Schedules = schedules - start,
                BaseSeed = Explorer.SeedOf(1, start),
                Strategy = strategy,
                Bugs = sizes.CleanBugs,
                Options = BugCatalogue.Apply(sizes.CleanBugs),
            }, n =>
            {
                // Progress: a line each time another tenth of the campaign is done.
                var total = start + n;
                if (total * 10L < nextTenth * (long)schedules) return;
                sizes.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"clean {scenario.Name} {strategy}: {total}/{schedules} schedules ({100L * total / schedules}%), {failing} failing, {watch.Elapsed.TotalSeconds:F0} s"));
                nextTenth = (int)(total * 10L / schedules) + 1;
            });
            done += result.SchedulesRun;
            if (result.Failure is { Report: var r })
            {
                failing++;
                violations += r.Violations.Count;
                failedExpectations += r.Expectations.Failed;
                firstFailing ??= r.Seed;
            }
            else if (result.SchedulesRun == 0)
            {
                break;
            }
        }
        return new Campaign(done, failing, violations, failedExpectations, firstFailing, watch.Elapsed);
    }

    private ScenarioResult Result(string name, string strategy, Campaign c)
    {
        var perMinute = c.Elapsed > TimeSpan.Zero ? c.Schedules / c.Elapsed.TotalMinutes : 0;
        var met = c.FailingSchedules == 0;
        return new ScenarioResult(
            Name,
            $"{name} strategy={strategy} schedules={c.Schedules}",
            $"{c.Violations} violations, {c.FailedExpectations} failed expectations{(met ? " ok" : $" in {c.FailingSchedules} schedules (first seed {c.FirstFailingSeed}) FAILED")}",
            $"{ResultTable.Number(perMinute, "N0")} schedules/min",
            new JsonObject
            {
                ["scenario"] = Name,
                ["target_scenario"] = name,
                ["strategy"] = strategy,
                ["schedules"] = c.Schedules,
                ["failing_schedules"] = c.FailingSchedules,
                ["violations"] = c.Violations,
                ["failed_expectations"] = c.FailedExpectations,
                ["first_failing_seed"] = c.FirstFailingSeed,
                ["schedules_per_minute"] = BenchmarkReport.Round(perMinute, 1),
                ["wall_seconds"] = BenchmarkReport.Round(c.Elapsed.TotalSeconds, 3),
                ["target_met"] = met,
            });
    }
}
