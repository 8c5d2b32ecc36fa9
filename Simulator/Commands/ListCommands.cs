using System.CommandLine;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.Simulator.Commands;

/// <summary>`iommusim scenarios`, `iommusim bugs` and `iommusim check FILE`.</summary>
internal static class ListCommands
{
    public static Command Scenarios(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("scenarios", "List the built-in scenarios, one line each.");
        cmd.SetAction(_ =>
        {
            var width = ScenarioLibrary.BuiltInNames.Max(n => n.Length);
            foreach (var name in ScenarioLibrary.BuiltInNames)
            {
                var s = CommonOptions.Load(name, stderr);
                if (s is null) return 2;
                stdout.WriteLine($"{name.PadRight(width)}  {s.Description}");
            }
            return 0;
        });
        return cmd;
    }

    public static Command Bugs(TextWriter stdout)
    {
        var cmd = new Command("bugs", "List the bugs --bug can inject, one line each, with the scenario that finds it.");
        cmd.SetAction(_ =>
        {
            var width = BugCatalogue.All.Max(b => b.Name.Length);
            foreach (var b in BugCatalogue.All) stdout.WriteLine($"{b.Name.PadRight(width)}  {b.Description} [found by {b.DetectedBy}]");
            return 0;
        });
        return cmd;
    }

    public static Command Check(TextWriter stdout, TextWriter stderr)
    {
        var file = CommonOptions.Scenario("The scenario file to check (or a built-in's name)");
        var cmd = new Command("check", "Check a scenario file without running it: every error with file:line:col. Exit 0 when it is valid, 2 when not.") { file };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var s = CommonOptions.Load(path, stderr);
            if (s is null)
            {
                stderr.WriteLine($"{path}: not valid");
                return 2;
            }
            stdout.WriteLine($"{path}: ok (scenario {s.Name}: {s.CountSteps()} steps, {s.Machine.Parts.Count} machine sections)");
            return 0;
        });
        return cmd;
    }
}
