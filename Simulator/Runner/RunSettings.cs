using IommuSim.Simulator.Bugs;

namespace IommuSim.Simulator.Runner;

/// <summary>How one run of a scenario is made.</summary>
public sealed record RunSettings
{
    public ulong Seed { get; init; } = 1;

    /// <summary>The deterministic dispatcher (replayable, virtual time) or the thread pool.</summary>
    public bool Deterministic { get; init; } = true;

    /// <summary>"random" or "pct" (deterministic only).</summary>
    public string Strategy { get; init; } = "random";

    /// <summary>PCT's depth; the scenario's (akka.actor.deterministic-dispatcher.pct-depth) when null.</summary>
    public int? PctDepth { get; init; }

    /// <summary>The injected bugs' names (for the report) and what they change.</summary>
    public IReadOnlyList<string> Bugs { get; init; } = [];

    public MachineOptions Options { get; init; } = MachineOptions.Correct;

    /// <summary>Where to write the JSON-lines trace, if anywhere.</summary>
    public TraceWriter? Trace { get; init; }

    /// <summary>Attach the metrics collector (run and replay; explore does without, it only needs the oracles).</summary>
    public bool Metrics { get; init; }

    /// <summary>Charge simulated time with the cost model on the deterministic dispatcher (on for every run, so that run, explore and replay schedule alike).</summary>
    public bool Cost { get; init; } = true;

    /// <summary>Deliveries remembered for violation reports.</summary>
    public int LastEvents { get; init; } = 16;

    /// <summary>Called once the machine's actors exist, before the script starts: lets a test or an embedding program replace or add entities.</summary>
    public Action<Scenarios.Topology.Machine>? Arrange { get; init; }

    public string DispatcherName => Deterministic ? "deterministic" : "threadpool";
}
