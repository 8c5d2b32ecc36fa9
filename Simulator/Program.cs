using System.CommandLine;
using IommuSim.Simulator.Commands;

namespace IommuSim.Simulator;

/// <summary>The iommusim command. Exit codes: 0 all good; 1 an invariant or expectation failed; 2 bad usage or input.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs; usage errors exit with 2 (System.CommandLine's default would be 1, which means a failed check here).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parse = BuildRoot(stdout, stderr).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) stderr.WriteLine(error.Message);
            stderr.WriteLine("See 'iommusim --help'.");
            return 2;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    public static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("iommusim: the Linux HMM and IOMMU subsystems as an actor system, with deterministic exploration and replay of interleavings.");
        root.Subcommands.Add(RunCommand.Build(stdout, stderr));
        root.Subcommands.Add(ExploreCommand.Build(stdout, stderr));
        root.Subcommands.Add(ReplayCommand.Build(stdout, stderr));
        root.Subcommands.Add(ListCommands.Scenarios(stdout, stderr));
        root.Subcommands.Add(ListCommands.Bugs(stdout));
        root.Subcommands.Add(ListCommands.Check(stdout, stderr));
        return root;
    }
}
