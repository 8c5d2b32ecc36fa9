using System.Diagnostics;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.Simulator.Explore;

/// <summary>How explore runs: how many schedules, from which base seed, with which strategy and bugs.</summary>
public sealed record ExploreSettings
{
    public int Schedules { get; init; } = 1000;

    /// <summary>Schedule i runs with seed BaseSeed + i.</summary>
    public ulong BaseSeed { get; init; } = 1;

    public string Strategy { get; init; } = "random";

    public int? PctDepth { get; init; }

    public IReadOnlyList<string> Bugs { get; init; } = [];

    public MachineOptions Options { get; init; } = MachineOptions.Correct;
}

/// <summary>What explore found: the schedules it ran, the first that failed (if any) and how fast it went.</summary>
public sealed record ExploreResult(int SchedulesRun, RunOutcome? Failure, RunOutcome? Last, TimeSpan Elapsed)
{
    public double SchedulesPerMinute => Elapsed > TimeSpan.Zero ? SchedulesRun / Elapsed.TotalMinutes : 0;
}

/// <summary>
/// Runs schedule after schedule of a scenario on the deterministic dispatcher, each with its own
/// seed, and stops at the first that violates an invariant or fails an expectation. The scenario
/// is parsed once; each schedule builds a fresh actor system and machine from it.
/// </summary>
public static class Explorer
{
    public static ulong SeedOf(ulong baseSeed, int schedule) => unchecked(baseSeed + (ulong)schedule);

    public static RunSettings SettingsFor(ExploreSettings x, ulong seed) => new()
    {
        Seed = seed,
        Deterministic = true,
        Strategy = x.Strategy,
        PctDepth = x.PctDepth,
        Bugs = x.Bugs,
        Options = x.Options,
    };

    public static ExploreResult Run(Scenario scenario, ExploreSettings x, Action<int>? progress = null, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        RunOutcome? last = null;
        for (var i = 0; i < x.Schedules; i++)
        {
            if (cancel.IsCancellationRequested) return new ExploreResult(i, null, last, watch.Elapsed);
            last = ScenarioRunner.Run(scenario, SettingsFor(x, SeedOf(x.BaseSeed, i)));
            progress?.Invoke(i + 1);
            if (last.Report.ExitCode != 0) return new ExploreResult(i + 1, last, last, watch.Elapsed);
        }
        return new ExploreResult(x.Schedules, null, last, watch.Elapsed);
    }
}
