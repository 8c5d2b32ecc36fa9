using System.CommandLine;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.Simulator.Commands;

/// <summary>The arguments and options several commands share, and how their errors become exit code 2.</summary>
internal static class CommonOptions
{
    public static Argument<string> Scenario(string description = "A built-in scenario's name (see 'iommusim scenarios') or a scenario file") =>
        new("scenario") { Description = description };

    public static Option<ulong?> Seed(string description) => new("--seed") { Description = description };

    public static Option<string> Strategy()
    {
        var o = new Option<string>("--strategy") { Description = "How the deterministic dispatcher picks the next delivery: random, or pct (probabilistic concurrency testing)", DefaultValueFactory = _ => "random" };
        o.AcceptOnlyFromAmong("random", "pct");
        return o;
    }

    public static Option<int?> PctDepth() => new("--pct-depth") { Description = "PCT's depth d (d - 1 priority change points); the scenario's pct-depth (akka.hocon: 3) if not given" };

    public static Option<string[]> Bugs() => new("--bug")
    {
        Description = "Inject a bug (repeatable); 'iommusim bugs' lists them",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Json() => new("--json") { Description = "Write the JSON report to this file" };

    public static Option<string?> Trace() => new("--trace") { Description = "Write the trace to this file: JSON lines, one delivery, trace event or step per line" };

    /// <summary>Loads a scenario, printing every error (file:line:col) to stderr when it cannot.</summary>
    public static Scenario? Load(string nameOrPath, TextWriter stderr)
    {
        try
        {
            return ScenarioLibrary.Load(nameOrPath);
        }
        catch (ScenarioException e)
        {
            foreach (var error in e.Errors) stderr.WriteLine(error);
            return null;
        }
    }

    /// <summary>The options of the named bugs, or null (after naming the known ones on stderr) when one is unknown.</summary>
    public static MachineOptions? BugOptions(IReadOnlyList<string> names, TextWriter stderr)
    {
        try
        {
            return BugCatalogue.Apply(names);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine(e.Message);
            return null;
        }
    }

    public static bool ValidDepth(int? depth, TextWriter stderr)
    {
        if (depth is null or >= 1 and <= 64) return true;
        stderr.WriteLine("--pct-depth must be between 1 and 64");
        return false;
    }

    /// <summary>True when <paramref name="stdout"/> is the console and the console is a terminal (colours, progress bars).</summary>
    public static bool IsTerminal(TextWriter stdout) => ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
}
