using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Deterministic;
using IommuSim.Simulator.Scenarios.Steps;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios;

/// <summary>
/// A scenario read and checked once: its machine, its steps and its configuration (the file over
/// akka.hocon). Immutable; every run (every explored schedule) builds a fresh machine from it.
/// </summary>
public sealed class Scenario
{
    private readonly Lazy<Config> _deterministic;
    private readonly Lazy<Config> _threadPool;

    internal Scenario(string name, string description, string origin, Config config, MachineSpec machine, IReadOnlyList<Step> steps)
    {
        Name = name;
        Description = description;
        Origin = origin;
        Config = config;
        Machine = machine;
        Steps = steps;
        _deterministic = new(() => Resolved(ConfigurationFactory.ParseString(
            "akka.actor.default-dispatcher = ${akka.actor.deterministic-dispatcher}", "iommusim runner").WithFallback(Config)));
        _threadPool = new(() => Resolved(ConfigurationFactory.ParseString(
            "akka.actor.default-dispatcher.type = threadpool", "iommusim runner").WithFallback(Config)));
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>The file it was read from ("scenarios/NAME.hocon" for a built-in).</summary>
    public string Origin { get; }

    /// <summary>The scenario file over the runner's defaults over akka.hocon, resolved.</summary>
    public Config Config { get; }

    public MachineSpec Machine { get; }

    public IReadOnlyList<Step> Steps { get; }

    /// <summary>The seed <c>run</c> uses when none is given (<c>scenario.seed</c>, default 1).</summary>
    public ulong DefaultSeed { get; init; } = 1;

    /// <summary>On the thread pool, how long a run may take in wall time before it is reported as stuck (<c>scenario.timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// PCT's horizon in choice points (<c>scenario.pct-choice-points</c>); null: measured by a
    /// calibration run (<see cref="Runner.ScenarioRunner.Calibrate"/>).
    /// </summary>
    public long? PctChoicePoints { get; init; }

    /// <summary>The deterministic dispatcher's settings of the scenario (pct-depth, max-steps).</summary>
    public DeterministicSettings DispatcherSettings { get; init; } = DeterministicSettings.Default;

    /// <summary>The actor system configuration of a run on the deterministic dispatcher or on the thread pool (built once).</summary>
    public Config SystemConfig(bool deterministic) => deterministic ? _deterministic.Value : _threadPool.Value;

    private static Config Resolved(Config c)
    {
        _ = c.Root;
        return c;
    }

    /// <summary>Every step, nested ones included (a measure of size for `check`).</summary>
    public int CountSteps() => Count(Steps);

    private static int Count(IEnumerable<Step> steps) => steps.Sum(s => 1 + s switch
    {
        ParallelStep p => Count(p.Branches),
        SequenceStep q => Count(q.Steps),
        _ => 0,
    });
}
