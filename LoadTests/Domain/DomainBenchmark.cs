using System.CommandLine;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// The <c>domain</c> family: the IOMMU translation path, the HMM page table, pages faulted in per
/// second through mirror → mm → mirror, and the wall time of a 1 GiB munmap mapped by 16 mirrors in
/// 4 HMM domains; their sizes are in <see cref="DomainSettings"/>.
/// </summary>
public static class DomainBenchmark
{
    public static IReadOnlyList<string> ScenarioNames { get; } = 
        [TranslationScenario.ScenarioName, HmmPageTableScenario.ScenarioName, FaultScenario.ScenarioName, MunmapScenario.ScenarioName];

    public static IReadOnlyList<IScenario> Scenarios(DomainSettings settings) =>
    [
        new TranslationScenario(settings),
        new HmmPageTableScenario(settings),
        new FaultScenario(settings),
        new MunmapScenario(settings),
    ];

    public static Command CreateCommand() => BenchmarkCommand.Create(
        "domain",
        "IOMMU and HMM benchmark: IOTLB-hit translations per second with DMA bursts, HMM page table populate/clear per reclaim policy, device faults per second, 1 GiB munmap through 16 mirrors",
        ScenarioNames,
        quick => Scenarios(quick ? DomainSettings.Quick : DomainSettings.Full));
}
