using System.CommandLine;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// The <c>domain</c> family: the IOMMU translation path and the HMM page table. The two
/// other domain figures — pages faulted in per second through mirror → mm → mirror, and the wall
/// time of a 1 GiB munmap mapped by 16 mirrors in 4 HMM domains — need the mm and mirror actors;
/// they join this family as scenarios named <c>faults</c> and <c>munmap</c>, added to
/// <see cref="ScenarioNames"/> and <see cref="Scenarios"/> next to these, with their sizes in
/// <see cref="DomainSettings"/>.
/// </summary>
public static class DomainBenchmark
{
    public static IReadOnlyList<string> ScenarioNames { get; } = [TranslationScenario.ScenarioName, HmmPageTableScenario.ScenarioName];

    public static IReadOnlyList<IScenario> Scenarios(DomainSettings settings) =>
    [
        new TranslationScenario(settings),
        new HmmPageTableScenario(settings),
    ];

    public static Command CreateCommand() => BenchmarkCommand.Create(
        "domain",
        "IOMMU and HMM benchmark: IOTLB-hit translations per second with DMA bursts, HMM page table populate/clear per reclaim policy",
        ScenarioNames,
        quick => Scenarios(quick ? DomainSettings.Quick : DomainSettings.Full));
}
