using System.CommandLine;

namespace IommuSim.LoadTests.Runtime;

/// <summary>The <c>runtime</c> family: throughput, latency and footprint of the actor engine itself.</summary>
public static class RuntimeBenchmark
{
    public static IReadOnlyList<string> ScenarioNames { get; } =
        [PingPongScenario.ScenarioName, FanOutScenario.ScenarioName, AskScenario.ScenarioName, SpawnScenario.ScenarioName, DeterministicScenario.ScenarioName];

    public static IReadOnlyList<IScenario> Scenarios(RuntimeSettings settings) =>
    [
        new PingPongScenario(settings),
        new FanOutScenario(settings),
        new AskScenario(settings),
        new SpawnScenario(settings),
        new DeterministicScenario(settings),
    ];

    public static Command CreateCommand() => BenchmarkCommand.Create(
        "runtime",
        "Actor engine benchmark: ping-pong, fan-out, Ask latency, spawn rate and footprint, deterministic dispatcher",
        ScenarioNames,
        quick => Scenarios(quick ? RuntimeSettings.Quick : RuntimeSettings.Full));
}
