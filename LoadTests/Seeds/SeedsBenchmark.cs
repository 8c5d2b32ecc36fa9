using System.CommandLine;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// The <c>seeds</c> family: the mechanisms of seeds 002-004 at scale — dirty read-and-clear over
/// 1 TiB of IOVA next to a raw scan of the same bits, TCE exchanges and MAP_DMA/UNMAP_DMA pages per
/// second, SVA bind/unbind pairs and I/O page faults per second, and a live migration's rounds and
/// simulated time to converge. Each scenario carries its own full and quick sizes.
/// </summary>
public static class SeedsBenchmark
{
    // One entry per scenario: its name, and how to make it at full (false) or quick (true) size.
    private static readonly (string Name, Func<bool, IScenario> Create)[] All =
    [
        (TceScenario.ScenarioName, quick => new TceScenario(quick ? TceScenario.Settings.Quick : TceScenario.Settings.Full)),
        (SvaBindScenario.ScenarioName, quick => SvaBindScenario.Create(quick)),
        (IopfScenario.ScenarioName, quick => IopfScenario.Create(quick)),
        (DirtyScanScenario.ScenarioName, quick => new DirtyScanScenario(quick ? DirtyScanSettings.Quick : DirtyScanSettings.Full)),
        (LiveMigrationScenario.ScenarioName, quick => new LiveMigrationScenario(quick ? LiveMigrationSettings.Quick : LiveMigrationSettings.Full)),
    ];

    public static IReadOnlyList<string> ScenarioNames { get; } = [.. All.Select(s => s.Name)];

    public static IReadOnlyList<IScenario> Scenarios(bool quick) => [.. All.Select(s => s.Create(quick))];

    public static Command CreateCommand() => BenchmarkCommand.Create(
        "seeds",
        "Seeds 002-004 at scale: dirty read-and-clear over 1 TiB of IOVA vs a raw scan, TCE exchanges and MAP_DMA/UNMAP_DMA, SVA bind/unbind and I/O page faults, live migration convergence",
        ScenarioNames,
        Scenarios);
}
