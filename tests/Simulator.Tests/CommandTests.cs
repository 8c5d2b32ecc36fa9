using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Scenarios;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>The command line: help, listings, check, and the exit codes (0 ok, 1 violation or failed expectation, 2 bad usage or file).</summary>
public sealed class CommandTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("run", "--help")]
    [InlineData("explore", "--help")]
    [InlineData("replay", "--help")]
    [InlineData("scenarios", "--help")]
    [InlineData("bugs", "--help")]
    [InlineData("check", "--help")]
    public void Every_command_has_help(params string[] args)
    {
        var (exit, stdout, _) = Cli.Invoke(args);
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
    }

    [Fact]
    public void Scenarios_lists_each_built_in_on_one_line()
    {
        var (exit, stdout, _) = Cli.Invoke("scenarios");
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ScenarioLibrary.BuiltInNames.Count, lines.Length);
        foreach (var name in new[] { "hmm-mirror-basics", "munmap-vs-fault-race", "shared-iommu-domain", "page-table-reclaim", "mixed-host" })
            Assert.Contains(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Length > name.Length + 20);
    }

    [Fact]
    public void Bugs_lists_each_bug_on_one_line_with_the_scenario_that_finds_it()
    {
        var (exit, stdout, _) = Cli.Invoke("bugs");
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(BugCatalogue.All.Count, lines.Length);
        foreach (var bug in BugCatalogue.All)
        {
            Assert.Contains(lines, l => l.StartsWith(bug.Name + " ", StringComparison.Ordinal) && l.EndsWith($"[found by {bug.DetectedBy}]", StringComparison.Ordinal));
            Assert.True(ScenarioLibrary.IsBuiltIn(bug.DetectedBy), bug.DetectedBy);
        }
    }

    [Fact]
    public void Check_accepts_a_valid_file_and_lists_every_error_of_a_bad_one()
    {
        var good = Cli.TempFile(".hocon");
        var bad = Cli.TempFile(".hocon");
        try
        {
            File.WriteAllText(good, ScenarioLibrary.BuiltInText("munmap-vs-fault-race"));
            var ok = Cli.Invoke("check", good);
            Assert.Equal(0, ok.Exit);
            Assert.Contains($"{good}: ok (scenario munmap-vs-fault-race:", ok.Out);

            File.WriteAllText(bad, """
                machine { processes { p0 {} } }
                steps = [
                  { op = mmap, process = p1, pages = 1 }
                  { op = munmap, process = p0, address = nowhere, pages = 1 }
                ]
                """);
            var errors = Cli.Invoke("check", bad);
            Assert.Equal(2, errors.Exit);
            var lines = errors.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"{bad}:3:26: step mmap: unknown process 'p1' (declared: p0)", lines[0]);
            Assert.StartsWith($"{bad}:4:42: step munmap 'address': unknown name 'nowhere'", lines[1]);
            Assert.Equal($"{bad}: not valid", lines[2]);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    [Theory]
    [InlineData("run", "--dispatcher", "bogus")]
    [InlineData("run", "--seed", "-1")]
    [InlineData("explore", "munmap-vs-fault-race")]
    [InlineData("explore", "munmap-vs-fault-race", "--schedules", "0")]
    [InlineData("explore", "munmap-vs-fault-race", "--schedules", "5", "--strategy", "dfs")]
    [InlineData("replay", "munmap-vs-fault-race")]
    [InlineData("run", "munmap-vs-fault-race", "--pct-depth", "0")]
    [InlineData("run", "no-such-scenario")]
    [InlineData("check", "/nonexistent/file.hocon")]
    [InlineData("no-such-command")]
    public void Bad_usage_exits_with_2_and_says_why(params string[] args)
    {
        var (exit, _, stderr) = Cli.Invoke(args);
        Assert.Equal(2, exit);
        Assert.NotEqual("", stderr.Trim());
    }

    [Fact]
    public void A_failed_expectation_exits_with_1_and_a_passing_run_with_0()
    {
        var file = Cli.TempFile(".hocon");
        try
        {
            File.WriteAllText(file, """
                machine { processes { p0 {} } }
                steps = [ { op = mmap, process = p0, pages = 1, name = a }, { op = cpu-read, process = p0, address = a, expect { value = 1 } } ]
                """);
            var failed = Cli.Invoke("run", file);
            Assert.Equal(1, failed.Exit);
            Assert.Contains("expected: value = 1", failed.Out);
            File.WriteAllText(file, File.ReadAllText(file).Replace("value = 1", "value = 0", StringComparison.Ordinal));
            Assert.Equal(0, Cli.Invoke("run", file).Exit);
            Assert.Equal(0, Cli.Invoke("explore", file, "--schedules", "3").Exit);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
