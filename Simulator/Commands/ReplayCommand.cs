using System.CommandLine;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Commands;

/// <summary>
/// `iommusim replay SCENARIO --seed N`: reproduces one schedule of the deterministic dispatcher
/// (with the strategy and bugs explore printed) and prints its trace hash, equal to the original's.
/// </summary>
internal static class ReplayCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var scenario = CommonOptions.Scenario();
        var seed = new Option<ulong>("--seed") { Description = "The schedule's seed (as explore printed it)", Required = true };
        var strategy = CommonOptions.Strategy();
        var depth = CommonOptions.PctDepth();
        var bugs = CommonOptions.Bugs();
        var trace = CommonOptions.Trace();
        var json = CommonOptions.Json();
        var cmd = new Command("replay", "Reproduce one schedule on the deterministic dispatcher and print its trace hash (the same as the original run's).")
        {
            scenario, seed, strategy, depth, bugs, trace, json,
        };
        cmd.SetAction(parse =>
        {
            var s = CommonOptions.Load(parse.GetValue(scenario)!, stderr);
            var bugNames = parse.GetValue(bugs) ?? [];
            var options = CommonOptions.BugOptions(bugNames, stderr);
            if (s is null || options is null || !CommonOptions.ValidDepth(parse.GetValue(depth), stderr)) return 2;
            var settings = new RunSettings
            {
                Seed = parse.GetValue(seed),
                Deterministic = true,
                Strategy = parse.GetValue(strategy)!,
                PctDepth = parse.GetValue(depth),
                Bugs = bugNames,
                Options = options,
                Metrics = true,
            };
            return RunCommand.Execute(s, settings, parse.GetValue(json), null, parse.GetValue(trace), stdout, stderr);
        });
        return cmd;
    }
}
