using System.CommandLine;
using IommuSim.Simulator.Demo;

namespace IommuSim.Simulator;

/// <summary>`iommusim run`: runs the main job. Until the scenario runner lands it runs the engine demo.</summary>
internal static class RunCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var seed = new Option<ulong>("--seed") { Description = "Seed of the deterministic dispatcher's scheduling strategy", DefaultValueFactory = _ => 1 };
        var dispatcher = new Option<string>("--dispatcher") { Description = "deterministic (replayable, virtual time) or threadpool (throughput)", DefaultValueFactory = _ => "deterministic" };
        dispatcher.AcceptOnlyFromAmong("deterministic", "threadpool");
        var mirrors = new Option<int>("--mirrors") { Description = "Mirrors (devices) attached to the process", DefaultValueFactory = _ => 8 };
        var invalidations = new Option<int>("--invalidations") { Description = "Invalidations the process performs", DefaultValueFactory = _ => 20_000 };
        var cmd = new Command("run", "Run the main job on the embedded default configuration (for now: the invalidation fan-out demo of the actor engine)")
        {
            seed, dispatcher, mirrors, invalidations,
        };
        cmd.SetAction(parse =>
        {
            var m = parse.GetValue(mirrors);
            var n = parse.GetValue(invalidations);
            if (m is < 1 or > 10_000 || n is < 1 or > 100_000_000)
            {
                stderr.WriteLine("--mirrors must be within 1..10000 and --invalidations within 1..100000000");
                return 2;
            }
            var result = InvalidationDemo.Run(parse.GetValue(dispatcher)!, parse.GetValue(seed), m, n);
            result.Print(stdout);
            return result.Violations == 0 ? 0 : 1;
        });
        return cmd;
    }
}
