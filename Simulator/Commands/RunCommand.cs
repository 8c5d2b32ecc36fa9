using System.CommandLine;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios;

namespace IommuSim.Simulator.Commands;

/// <summary>`iommusim run [SCENARIO]`: runs a scenario once (by default the built-in mixed-host) and reports.</summary>
internal static class RunCommand
{
    public const string DefaultScenario = "mixed-host";

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var scenario = CommonOptions.Scenario($"A built-in scenario's name or a scenario file (default: {DefaultScenario})");
        scenario.Arity = ArgumentArity.ZeroOrOne;
        var seed = CommonOptions.Seed("Seed of the deterministic dispatcher's strategy (default: the scenario's seed)");
        var dispatcher = new Option<string>("--dispatcher") { Description = "deterministic (replayable, virtual time) or threadpool (real threads)", DefaultValueFactory = _ => "deterministic" };
        dispatcher.AcceptOnlyFromAmong("deterministic", "threadpool");
        var strategy = CommonOptions.Strategy();
        var depth = CommonOptions.PctDepth();
        var bugs = CommonOptions.Bugs();
        var json = CommonOptions.Json();
        var html = new Option<string?>("--html") { Description = "Write the HTML report (one self-contained file with charts) to this file" };
        var trace = CommonOptions.Trace();
        var cmd = new Command("run", "Run a scenario once and report: summary table, JSON, HTML, trace. Exit 0 when every invariant and expectation held, 1 when not, 2 for bad usage or a bad file.")
        {
            scenario, seed, dispatcher, strategy, depth, bugs, json, html, trace,
        };
        cmd.SetAction(parse =>
        {
            var s = CommonOptions.Load(parse.GetValue(scenario) ?? DefaultScenario, stderr);
            var bugNames = parse.GetValue(bugs) ?? [];
            var options = CommonOptions.BugOptions(bugNames, stderr);
            if (s is null || options is null || !CommonOptions.ValidDepth(parse.GetValue(depth), stderr)) return 2;
            var settings = new RunSettings
            {
                Seed = parse.GetValue(seed) ?? s.DefaultSeed,
                Deterministic = parse.GetValue(dispatcher) != "threadpool",
                Strategy = parse.GetValue(strategy)!,
                PctDepth = parse.GetValue(depth),
                Bugs = bugNames,
                Options = options,
                Metrics = true,
            };
            return Execute(s, settings, parse.GetValue(json), parse.GetValue(html), parse.GetValue(trace), stdout, stderr);
        });
        return cmd;
    }

    /// <summary>One run with its outputs (run and replay): trace file, summary, JSON, HTML. Returns the exit code.</summary>
    public static int Execute(Scenario scenario, RunSettings settings, string? json, string? html, string? tracePath, TextWriter stdout, TextWriter stderr)
    {
        TraceWriter? trace;
        try
        {
            trace = tracePath is null ? null : TraceWriter.ToFile(tracePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"cannot write the trace to {tracePath}: {e.Message}");
            return 2;
        }
        RunOutcome outcome;
        using (trace)
            outcome = ScenarioRunner.Run(scenario, settings with { Trace = trace });
        var report = outcome.Report;
        RunPrinter.Print(outcome, stdout, CommonOptions.IsTerminal(stdout));
        try
        {
            if (json is not null)
            {
                JsonReport.WriteFile(report, json, w =>
                {
                    w.WriteString("strategy", settings.Deterministic ? settings.Strategy : null);
                    w.WriteStartArray("bugs");
                    foreach (var b in settings.Bugs) w.WriteStringValue(b);
                    w.WriteEndArray();
                });
                stdout.WriteLine($"JSON report: {json}");
            }
            if (html is not null) WriteHtml(report, html, stdout);
            if (tracePath is not null) stdout.WriteLine($"trace: {tracePath}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"cannot write a report: {e.Message}");
            return 2;
        }
        return report.ExitCode;
    }

    private static void WriteHtml(RunReport report, string path, TextWriter stdout)
    {
        var text = new StringWriter();
        HtmlReport.Write(report, text);
        File.WriteAllText(path, text.ToString());
        stdout.WriteLine($"HTML report: {path}");
    }
}
