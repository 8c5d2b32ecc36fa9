using System.CommandLine;
using IommuSim.LoadTests.Domain;
using IommuSim.LoadTests.Explore;
using IommuSim.LoadTests.Runtime;
using IommuSim.LoadTests.Seeds;

namespace IommuSim.LoadTests;

/// <summary>
/// <c>LoadTests FAMILY [--json FILE] [--quick] [--only SCENARIO]</c>: one subcommand per benchmark
/// family, each built by <see cref="BenchmarkCommand"/> from its list of scenarios.
/// </summary>
public static class Program
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("iommusim benchmarks and load scenarios");
        root.Subcommands.Add(RuntimeBenchmark.CreateCommand());
        root.Subcommands.Add(DomainBenchmark.CreateCommand());
        root.Subcommands.Add(SeedsBenchmark.CreateCommand());
        root.Subcommands.Add(ExploreBenchmark.CreateCommand());
        return root;
    }

    public static int Main(string[] args) => CreateRootCommand().Parse(args).Invoke();
}
