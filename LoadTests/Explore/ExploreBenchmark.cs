using System.CommandLine;

namespace IommuSim.LoadTests.Explore;

/// <summary>
/// The <c>explore</c> family: the figures of issue 5's closing note, measured with the simulator's
/// own explorer — schedules per minute on munmap-vs-fault-race (<c>speed</c>), PCT schedules until
/// each injected bug is found (<c>bugs</c>), and violations over many schedules of every built-in
/// scenario without bugs (<c>clean</c>).
/// </summary>
public static class ExploreBenchmark
{
    private static readonly (string Name, Func<ExploreSizes, IScenario> Create)[] All =
    [
        (SpeedScenario.ScenarioName, s => new SpeedScenario(s)),
        (BugsScenario.ScenarioName, s => new BugsScenario(s)),
        (CleanScenario.ScenarioName, s => new CleanScenario(s)),
    ];

    public static IReadOnlyList<string> ScenarioNames { get; } = [.. All.Select(s => s.Name)];

    public static IReadOnlyList<IScenario> Scenarios(ExploreSizes sizes) => [.. All.Select(s => s.Create(sizes))];

    public static Command CreateCommand() => BenchmarkCommand.Create(
        "explore",
        "Issue 5's closing-note figures: explore schedules/minute on munmap-vs-fault-race, PCT schedules until each injected bug is found, violations over 100,000 schedules of every built-in scenario",
        ScenarioNames,
        quick => Scenarios(quick ? ExploreSizes.Quick : ExploreSizes.Full));
}
