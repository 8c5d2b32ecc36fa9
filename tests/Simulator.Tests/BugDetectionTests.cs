using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Scenarios;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Simulator.Tests;

/// <summary>
/// Every bug of the catalogue is found by exploring the built-in scenario that names it, with PCT,
/// as an invariant violation (not only a failed expectation), within a small number of schedules;
/// and the command exits with 1. (The full figure, schedules until detection out of 1,000, is in
/// the README.)
/// </summary>
public sealed class BugDetectionTests(ITestOutputHelper output)
{
    private const int Schedules = 200;

    public static TheoryData<string> Bugs() => [.. BugCatalogue.All.Select(b => b.Name)];

    [Theory]
    [MemberData(nameof(Bugs))]
    public void Pct_exploration_of_its_scenario_finds_the_bug_as_an_invariant_violation(string name)
    {
        var bug = BugCatalogue.Find(name)!;
        var scenario = ScenarioLibrary.BuiltIn(bug.DetectedBy);
        var result = Explorer.Run(scenario, new ExploreSettings
        {
            Schedules = Schedules,
            Strategy = "pct",
            Bugs = [name],
            Options = BugCatalogue.Apply([name]),
        });
        Assert.True(result.Failure is not null, $"{name}: not found in {Schedules} schedules of {bug.DetectedBy}");
        var report = result.Failure!.Report;
        output.WriteLine($"{name}: found by {bug.DetectedBy} at schedule {result.SchedulesRun} (seed {report.Seed}): {report.Violations[0].Message}");
        Assert.NotEmpty(report.Violations);
        Assert.Equal(report.Seed, report.Violations[0].Seed);
        Assert.NotEmpty(report.Violations[0].LastEvents);
    }

    [Fact]
    public void Without_the_bug_the_same_schedules_find_nothing()
    {
        foreach (var scenario in BugCatalogue.All.Select(b => b.DetectedBy).Distinct())
        {
            var result = Explorer.Run(ScenarioLibrary.BuiltIn(scenario), new ExploreSettings { Schedules = 50, Strategy = "pct" });
            Assert.True(result.Failure is null, $"{scenario}: {Cli.Describe(result.Failure?.Report ?? result.Last!.Report)}");
            Assert.Equal(50, result.SchedulesRun);
        }
    }

    [Fact]
    public void Explore_prints_the_seed_a_trace_excerpt_and_the_replay_command_and_exits_1()
    {
        var (exit, stdout, _) = Cli.Invoke("explore", "shared-iommu-domain", "--schedules", "50", "--strategy", "pct", "--bug", "skip-iotlb-sync");
        Assert.Equal(1, exit);
        Assert.Contains("schedules until detection: 1", stdout);
        Assert.Contains("VIOLATION no-dma-after-invalidation (seed 1)", stdout);
        Assert.Contains("answered before any IOTLB sync", stdout);
        Assert.Contains("last deliveries:", stdout);
        Assert.Contains("replay: iommusim replay shared-iommu-domain --seed 1 --strategy pct --bug skip-iotlb-sync", stdout);
    }

    [Fact]
    public void An_unknown_bug_is_bad_usage()
    {
        var (exit, _, stderr) = Cli.Invoke("explore", "shared-iommu-domain", "--schedules", "1", "--bug", "no-such-bug");
        Assert.Equal(2, exit);
        Assert.Contains("unknown bug 'no-such-bug' (known: skip-sequence-check,", stderr);
    }
}
