using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios;
using IommuSim.Simulator.Scenarios.Topology;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>Runs the command in-process, and scenarios given as text.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Err) Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = Program.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static Scenario Parse(string hocon) => ScenarioParser.ParseText(hocon, "test.hocon", "test");

    public static RunReport Run(string hocon, bool deterministic = true, ulong seed = 1, Action<Machine>? arrange = null) =>
        ScenarioRunner.Run(Parse(hocon), new RunSettings { Seed = seed, Deterministic = deterministic, Arrange = arrange }).Report;

    /// <summary>The errors of a scenario that does not parse (empty when it does).</summary>
    public static IReadOnlyList<ScenarioError> Errors(string hocon)
    {
        try
        {
            Parse(hocon);
            return [];
        }
        catch (ScenarioException e)
        {
            return e.Errors;
        }
    }

    /// <summary>Every expectation held, exactly <paramref name="passed"/> of them (so none was skipped), and no invariant broke.</summary>
    public static void AssertAllHeld(RunReport report, int passed)
    {
        Assert.True(report.Expectations.Failed == 0 && report.Violations.Count == 0, Describe(report));
        Assert.Equal(passed, report.Expectations.Passed);
    }

    public static string Describe(RunReport r) =>
        string.Join(Environment.NewLine, r.Expectations.Failures.Select(f => $"FAILED {f.Step} at {f.Position}: expected {f.Expected}, actual {f.Actual}")
            .Concat(r.Violations.Select(v => $"VIOLATION {v.Invariant} at {v.Step}: {v.Message}")));

    public static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), $"iommusim-test-{Guid.NewGuid():N}{extension}");
}
