using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.LoadTests.Explore;

/// <summary>
/// <c>speed</c>: schedules per minute of the simulator's explorer on one built-in scenario
/// (munmap-vs-fault-race, the closing note's figure), per strategy, with the wall time of each
/// schedule (the gap between the explorer's progress callbacks: set-up, run, oracles and teardown
/// checks of one schedule). The warm-up run also pays PCT's one calibration run, which the
/// explorer caches per scenario.
/// </summary>
public sealed class SpeedScenario(ExploreSizes sizes) : IScenario
{
    public const string ScenarioName = "speed";

    public string Name => ScenarioName;

    private readonly record struct SpeedRun(double PerMinute, double[] ScheduleMicros);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var scenario = ScenarioLibrary.BuiltIn(sizes.SpeedScenario);
        foreach (var strategy in sizes.SpeedStrategies)
            report(Measure(scenario, strategy));
    }

    private ScenarioResult Measure(Scenario scenario, string strategy)
    {
        var runs = LoadTests.Measure.Runs(sizes.SpeedMeasure, () => Once(scenario, strategy));
        var perMinute = runs.Select(r => r.PerMinute).ToArray();
        var median = LoadTests.Measure.Median(perMinute);
        var micros = runs.SelectMany(r => r.ScheduleMicros).Order().ToArray();
        var mean = micros.Average();
        var p50 = Percentile(micros, 0.50);
        var p99 = Percentile(micros, 0.99);
        var met = median >= sizes.SpeedTarget;
        return new ScenarioResult(
            Name,
            $"{scenario.Name} strategy={strategy} schedules={sizes.SpeedSchedules}",
            $"{ResultTable.Number(median, "N0")} schedules/min, {ResultTable.Number(mean, "0")} µs/schedule (p50 {ResultTable.Number(p50, "0")}, p99 {ResultTable.Number(p99, "0")}) {(met ? "ok" : "BELOW TARGET")}",
            string.Join(", ", perMinute.Select(r => ResultTable.Number(r, "N0"))),
            new JsonObject
            {
                ["scenario"] = Name,
                ["target_scenario"] = scenario.Name,
                ["strategy"] = strategy,
                ["schedules"] = sizes.SpeedSchedules,
                ["median_schedules_per_minute"] = BenchmarkReport.Round(median, 1),
                ["runs_schedules_per_minute"] = BenchmarkReport.Array(perMinute, 1),
                ["schedule_wall_us_mean"] = BenchmarkReport.Round(mean, 1),
                ["schedule_wall_us_p50"] = BenchmarkReport.Round(p50, 1),
                ["schedule_wall_us_p99"] = BenchmarkReport.Round(p99, 1),
                ["target_schedules_per_minute"] = sizes.SpeedTarget,
                ["target_met"] = met,
            });
    }

    private SpeedRun Once(Scenario scenario, string strategy)
    {
        var micros = new double[sizes.SpeedSchedules];
        var last = Stopwatch.GetTimestamp();
        var result = Explorer.Run(scenario, new ExploreSettings { Schedules = sizes.SpeedSchedules, Strategy = strategy }, done =>
        {
            var now = Stopwatch.GetTimestamp();
            micros[done - 1] = Stopwatch.GetElapsedTime(last, now).TotalMicroseconds;
            last = now;
        });
        if (result.Failure is { } failure)
            throw new InvalidOperationException($"{scenario.Name} failed at seed {failure.Report.Seed} ({strategy}): a speed figure needs a clean scenario (see the clean scenario)");
        return new SpeedRun(result.SchedulesPerMinute, micros);
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
