using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>Every built-in scenario passes without bugs: once on each dispatcher, and over a few explored schedules of each strategy.</summary>
public sealed class BuiltInScenarioTests
{
    public static TheoryData<string> Names() => [.. ScenarioLibrary.BuiltInNames];

    [Theory]
    [MemberData(nameof(Names))]
    public void Passes_on_the_deterministic_dispatcher_and_on_the_thread_pool(string name)
    {
        var scenario = ScenarioLibrary.BuiltIn(name);
        foreach (var deterministic in new[] { true, false })
        {
            var report = ScenarioRunner.Run(scenario, new RunSettings { Seed = scenario.DefaultSeed, Deterministic = deterministic }).Report;
            Assert.True(report.ExitCode == 0, $"{name} ({report.Dispatcher}): {Cli.Describe(report)}");
            Assert.True(report.Expectations.Passed > 10, $"{name}: only {report.Expectations.Passed} expectations");
            Assert.True(report.Events > 0);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Passes_over_explored_schedules(string name)
    {
        var scenario = ScenarioLibrary.BuiltIn(name);
        var schedules = name == "mixed-host" ? 4 : 20;
        foreach (var strategy in new[] { "random", "pct" })
        {
            var result = Explorer.Run(scenario, new ExploreSettings { Schedules = schedules, Strategy = strategy, BaseSeed = 1000 });
            Assert.True(result.Failure is null, $"{name} ({strategy}): {Cli.Describe(result.Failure?.Report ?? result.Last!.Report)}");
        }
    }

    [Fact]
    public void Run_without_a_scenario_runs_mixed_host_and_exits_0()
    {
        var (exit, stdout, _) = Cli.Invoke("run");
        Assert.True(exit == 0, stdout);
        Assert.Matches("scenario +mixed-host|mixed-host", stdout);
        Assert.Matches("trace hash [0-9a-f]{16}", stdout);
    }
}
