using System.CommandLine;

namespace IommuSim.LoadTests;

/// <summary>
/// Builds the subcommand of one benchmark family (<c>runtime</c>, and later <c>domain</c> and
/// <c>seeds</c>) with the options every family shares: <c>--json FILE</c>, <c>--quick</c> (every
/// count about 100 times smaller, for a smoke test) and <c>--only SCENARIO</c> (repeatable, or a
/// comma list). A family supplies its scenario names and a factory of its scenarios.
/// </summary>
public static class BenchmarkCommand
{
    /// <param name="scenarios">The family's scenarios, at full size or (<c>true</c>) quick.</param>
    public static Command Create(string name, string description, IReadOnlyList<string> scenarioNames, Func<bool, IReadOnlyList<IScenario>> scenarios)
    {
        ArgumentNullException.ThrowIfNull(scenarioNames);
        ArgumentNullException.ThrowIfNull(scenarios);
        var json = new Option<FileInfo>("--json")
        {
            Description = "Write the results to this JSON file",
            HelpName = "FILE",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "Scale every count down about 100 times (a smoke test, not a measurement)",
        };
        var only = new Option<string[]>("--only")
        {
            Description = $"Run only these scenarios (repeatable, or a comma list): {string.Join(", ", scenarioNames)}",
            HelpName = "SCENARIO",
        };
        only.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                foreach (var n in SplitNames(token.Value))
                    if (!scenarioNames.Contains(n, StringComparer.Ordinal))
                        result.AddError($"Unknown scenario '{n}' for {name}; expected one of: {string.Join(", ", scenarioNames)}");
        });

        var command = new Command(name, description);
        command.Options.Add(json);
        command.Options.Add(quick);
        command.Options.Add(only);
        command.SetAction(parseResult =>
        {
            var selected = (parseResult.GetValue(only) ?? []).SelectMany(SplitNames).ToHashSet(StringComparer.Ordinal);
            var chosen = scenarios(parseResult.GetValue(quick))
                .Where(s => selected.Count == 0 || selected.Contains(s.Name))
                .ToList();
            var results = Run(chosen, parseResult.InvocationConfiguration.Output);
            if (parseResult.GetValue(json) is { } file)
                BenchmarkReport.Write(file.FullName, BenchmarkReport.Build(results, DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }

    /// <summary>Runs the scenarios in order, printing the table as results come in.</summary>
    public static IReadOnlyList<ScenarioResult> Run(IEnumerable<IScenario> scenarios, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var table = new ResultTable(output);
        table.WriteHeader();
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            scenario.Run(r =>
            {
                results.Add(r);
                table.Write(r);
            });
        }
        return results;
    }

    private static IEnumerable<string> SplitNames(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
