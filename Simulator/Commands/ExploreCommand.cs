using System.CommandLine;
using System.Globalization;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Scenarios;
using Spectre.Console;

namespace IommuSim.Simulator.Commands;

/// <summary>
/// `iommusim explore SCENARIO --schedules N`: N schedules on the deterministic dispatcher, stopping
/// at the first invariant violation or failed expectation, whose seed, details, trace excerpt and
/// replay command it prints.
/// </summary>
internal static class ExploreCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var scenario = CommonOptions.Scenario();
        var schedules = new Option<int>("--schedules") { Description = "How many schedules to run (seeds BASE, BASE+1, ...)", Required = true };
        var seed = CommonOptions.Seed("The first schedule's seed (default 1); schedule i runs with seed + i");
        var strategy = CommonOptions.Strategy();
        var depth = CommonOptions.PctDepth();
        var bugs = CommonOptions.Bugs();
        var json = CommonOptions.Json();
        var cmd = new Command("explore", "Run many schedules of a scenario on the deterministic dispatcher; stop at the first violation or failed expectation and print its seed and a trace excerpt.")
        {
            scenario, schedules, seed, strategy, depth, bugs, json,
        };
        cmd.SetAction(parse =>
        {
            var n = parse.GetValue(schedules);
            if (n is < 1 or > 100_000_000)
            {
                stderr.WriteLine("--schedules must be between 1 and 100000000");
                return 2;
            }
            var s = CommonOptions.Load(parse.GetValue(scenario)!, stderr);
            var bugNames = parse.GetValue(bugs) ?? [];
            var options = CommonOptions.BugOptions(bugNames, stderr);
            if (s is null || options is null || !CommonOptions.ValidDepth(parse.GetValue(depth), stderr)) return 2;
            var settings = new ExploreSettings
            {
                Schedules = n,
                BaseSeed = parse.GetValue(seed) ?? 1,
                Strategy = parse.GetValue(strategy)!,
                PctDepth = parse.GetValue(depth),
                Bugs = bugNames,
                Options = options,
            };
            var result = CommonOptions.IsTerminal(stdout) ? WithProgressBar(s, settings) : Explorer.Run(s, settings);
            Print(s, settings, result, stdout, stderr);
            if (parse.GetValue(json) is { } path && result.Last is { } last)
            {
                try
                {
                    JsonReport.WriteFile(last.Report, path, w =>
                    {
                        w.WriteNumber("schedules", result.SchedulesRun);
                        w.WriteNumber("schedules_per_minute", Math.Round(result.SchedulesPerMinute, 1));
                        w.WriteBoolean("found", result.Failure is not null);
                        w.WriteString("strategy", settings.Strategy);
                        if (settings.PctDepth is { } d) w.WriteNumber("pct_depth", d);
                        w.WriteStartArray("bugs");
                        foreach (var b in bugNames) w.WriteStringValue(b);
                        w.WriteEndArray();
                    });
                    stdout.WriteLine($"JSON report: {path}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"cannot write {path}: {e.Message}");
                    return 2;
                }
            }
            return result.Failure is null ? 0 : 1;
        });
        return cmd;
    }

    private static ExploreResult WithProgressBar(Scenario scenario, ExploreSettings settings)
    {
        ExploreResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{scenario.Name} ({settings.Strategy})", maxValue: settings.Schedules);
                result = Explorer.Run(scenario, settings, done => task.Value = done);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static void Print(Scenario scenario, ExploreSettings settings, ExploreResult result, TextWriter stdout, TextWriter stderr)
    {
        var rate = string.Create(CultureInfo.InvariantCulture, $"{result.SchedulesPerMinute:N0} schedules/minute ({result.Elapsed.TotalSeconds:F1} s)");
        var strategy = settings.Strategy + (settings.PctDepth is { } d ? $" --pct-depth {d}" : "");
        var bugs = string.Concat(settings.Bugs.Select(b => " --bug " + b));
        if (result.Failure is not { } failure)
        {
            stdout.WriteLine($"{scenario.Name}: {result.SchedulesRun} schedules ({strategy}{bugs}), no violation and no failed expectation; {rate}");
            return;
        }
        var r = failure.Report;
        var what = r.Violations.Count > 0 ? $"{r.Violations.Count} invariant violation(s)" : $"{r.Expectations.Failed} failed expectation(s)";
        stdout.WriteLine($"{scenario.Name}: {what} at schedule {result.SchedulesRun} of {settings.Schedules} (seed {r.Seed}, strategy {strategy}{bugs}); {rate}");
        stdout.WriteLine($"schedules until detection: {result.SchedulesRun}");
        RunPrinter.Details(r, stdout);
        if (r.Violations.Count == 0 && failure.Excerpt.Count > 0)
        {
            stdout.WriteLine("trace excerpt (the deliveries before the first failure):");
            foreach (var e in failure.Excerpt) stdout.WriteLine("  " + e);
        }
        if (r.TraceHash is { } hash) stdout.WriteLine($"trace hash {hash:x16}");
        var name = ScenarioLibrary.IsBuiltIn(scenario.Name) ? scenario.Name : scenario.Origin;
        stdout.WriteLine($"replay: iommusim replay {name} --seed {r.Seed} --strategy {strategy}{bugs}");
    }
}
