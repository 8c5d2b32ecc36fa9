using System.Text.Json;
using IommuSim.LoadTests.Explore;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Scenarios;
using Xunit;

using static IommuSim.LoadTests.Tests.ScenarioReport;

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// The explore family at tiny sizes: the JSON has exactly the specified fields, one row per bug of
/// the catalogue and per built-in scenario and strategy, counts that follow from the sizes, and
/// the targets' verdicts consistent with the figures. No timing thresholds.
/// </summary>
public sealed class ExploreBenchmarkTests
{
    private static readonly ExploreSizes Tiny = ExploreSizes.Full with
    {
        SpeedSchedules = 4,
        SpeedMeasure = new MeasureSettings(0, 3),
        BugLimit = 3,
        BugBaseSeeds = [1, 2],
        CleanSchedules = 4,
        Progress = TextWriter.Null,
    };

    [Fact]
    public void The_explore_family_lists_its_scenarios_with_smaller_quick_sizes()
    {
        Assert.Equal(["speed", "bugs", "clean"], ExploreBenchmark.ScenarioNames);
        Assert.Equal(ExploreBenchmark.ScenarioNames, ExploreBenchmark.Scenarios(ExploreSizes.Quick).Select(s => s.Name));
        Assert.True(ExploreSizes.Quick.SpeedSchedules < ExploreSizes.Full.SpeedSchedules);
        Assert.True(ExploreSizes.Quick.CleanSchedules < ExploreSizes.Full.CleanSchedules);
        Assert.Equal(100_000, ExploreSizes.Full.CleanSchedules);
        Assert.Equal(1_000, ExploreSizes.Full.BugLimit);
        Assert.Equal("explore", ExploreBenchmark.CreateCommand().Name);
    }

    [Fact]
    public void Speed_reports_schedules_per_minute_and_schedule_wall_time_per_strategy()
    {
        var results = Run(new SpeedScenario(Tiny));
        Assert.Equal(["random", "pct"], results.Select(r => r.GetProperty("strategy").GetString()));
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "target_scenario", "strategy", "schedules", "median_schedules_per_minute", "runs_schedules_per_minute",
                "schedule_wall_us_mean", "schedule_wall_us_p50", "schedule_wall_us_p99", "target_schedules_per_minute", "target_met");
            Assert.Equal("munmap-vs-fault-race", r.GetProperty("target_scenario").GetString());
            Assert.Equal(4, r.GetProperty("schedules").GetInt32());
            var median = r.GetProperty("median_schedules_per_minute").GetDouble();
            AssertRunsAndMedian(median, r.GetProperty("runs_schedules_per_minute"));
            Assert.True(r.GetProperty("schedule_wall_us_p50").GetDouble() > 0);
            Assert.True(r.GetProperty("schedule_wall_us_p50").GetDouble() <= r.GetProperty("schedule_wall_us_p99").GetDouble());
            Assert.Equal(median >= 20_000, r.GetProperty("target_met").GetBoolean());
        }
    }

    [Fact]
    public void Bugs_reports_every_catalogued_bug_with_schedules_until_detection_per_base_seed()
    {
        var results = Run(new BugsScenario(Tiny));
        Assert.Equal(BugCatalogue.All.Select(b => b.Name), results.Select(r => r.GetProperty("bug").GetString()));
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "bug", "target_scenario", "strategy", "limit", "base_seeds", "schedules_until_detection",
                "median_schedules", "max_schedules", "not_found", "detected_by", "wall_seconds", "target_met");
            Assert.Equal(BugCatalogue.Find(r.GetProperty("bug").GetString()!)!.DetectedBy, r.GetProperty("target_scenario").GetString());
            Assert.Equal([1UL, 2UL], r.GetProperty("base_seeds").EnumerateArray().Select(e => e.GetUInt64()));
            var perSeed = r.GetProperty("schedules_until_detection").EnumerateArray().ToArray();
            Assert.Equal(2, perSeed.Length);
            var found = perSeed.Where(e => e.ValueKind != JsonValueKind.Null).Select(e => e.GetInt32()).ToArray();
            Assert.All(found, n => Assert.InRange(n, 1, 3));
            Assert.Equal(2 - found.Length, r.GetProperty("not_found").GetInt32());
            Assert.Equal(found.Length == 2, r.GetProperty("target_met").GetBoolean());
            if (found.Length == 0)
            {
                Assert.Equal(JsonValueKind.Null, r.GetProperty("max_schedules").ValueKind);
                Assert.Equal(0, r.GetProperty("detected_by").GetArrayLength());
            }
            else
            {
                Assert.Equal(found.Max(), r.GetProperty("max_schedules").GetDouble());
                Assert.True(r.GetProperty("detected_by").GetArrayLength() > 0);
            }
        }
        // The IOMMU domain's bugs break an invariant on shared-iommu-domain's first schedules.
        Assert.Contains(results, r => r.GetProperty("bug").GetString() == "skip-hmm-domain-unmap" && r.GetProperty("target_met").GetBoolean());
    }

    [Fact]
    public void Clean_runs_every_built_in_scenario_per_strategy_without_violations()
    {
        var results = Run(new CleanScenario(Tiny));
        Assert.Equal(ScenarioLibrary.BuiltInNames.SelectMany(n => new[] { (n, "random"), (n, "pct") }),
            results.Select(r => (r.GetProperty("target_scenario").GetString()!, r.GetProperty("strategy").GetString()!)));
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "target_scenario", "strategy", "schedules", "failing_schedules", "violations", "failed_expectations",
                "first_failing_seed", "schedules_per_minute", "wall_seconds", "target_met");
            Assert.Equal(2, r.GetProperty("schedules").GetInt32());
            Assert.Equal(0, r.GetProperty("violations").GetInt32());
            Assert.Equal(0, r.GetProperty("failed_expectations").GetInt32());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("first_failing_seed").ValueKind);
            Assert.True(r.GetProperty("target_met").GetBoolean());
        }
    }

    [Fact]
    public void Clean_counts_every_failing_schedule_and_runs_them_all()
    {
        // A bug injected into every schedule: the campaign resumes after each failure instead of stopping.
        var sizes = Tiny with { CleanSchedules = 3, CleanStrategies = ["random"], CleanScenarios = ["shared-iommu-domain"], CleanBugs = ["skip-hmm-domain-unmap"] };
        var r = Assert.Single(Run(new CleanScenario(sizes)));
        Assert.Equal(3, r.GetProperty("schedules").GetInt32());
        Assert.Equal(3, r.GetProperty("failing_schedules").GetInt32());
        Assert.True(r.GetProperty("violations").GetInt32() >= 3);
        Assert.Equal(1UL, r.GetProperty("first_failing_seed").GetUInt64());
        Assert.False(r.GetProperty("target_met").GetBoolean());
    }

    [Fact]
    public void Clean_prints_a_progress_line_per_tenth()
    {
        using var progress = new StringWriter();
        var sizes = Tiny with { CleanSchedules = 10, CleanStrategies = ["random"], CleanScenarios = ["munmap-vs-fault-race"], Progress = progress };
        Run(new CleanScenario(sizes));
        var lines = progress.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, lines.Length);
        Assert.StartsWith("clean munmap-vs-fault-race random: 1/10 schedules (10%)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("clean munmap-vs-fault-race random: 10/10 schedules (100%), 0 failing", lines[^1], StringComparison.Ordinal);
    }
}
