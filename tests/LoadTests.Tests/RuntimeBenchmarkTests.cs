using static IommuSim.LoadTests.Tests.ScenarioReport;
using System.CommandLine;
using System.Text.Json;
using IommuSim.LoadTests;
using IommuSim.LoadTests.Runtime;
using Xunit;

// The spawn scenario weighs the whole managed heap: another test allocating meanwhile would
// distort it, so the benchmark tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// Each scenario at a tiny size: the JSON has exactly the specified fields, three runs, sane
/// values, and the median is the middle run. No timing thresholds: the machine's speed is not
/// what these tests are about.
/// </summary>
public sealed class RuntimeBenchmarkTests
{
    private static readonly RuntimeSettings Tiny = new()
    {
        PingPongMessages = 2000,
        FanOutWidth = 20,
        FanOutRounds = 5,
        Asks = 200,
        SpawnActors = 500,
        DeterministicDeliveries = 2000,
    };

    private static JsonElement[] RunScenario(string name) =>
        ScenarioReport.Run(RuntimeBenchmark.Scenarios(Tiny).Single(s => s.Name == name));

    [Fact]
    public void Pingpong_reports_every_pairs_and_window_combination()
    {
        var results = RunScenario("pingpong");
        Assert.Equal([(1, 1), (1, 1000), (2, 1), (2, 1000), (8, 1), (8, 1000)],
            results.Select(r => (r.GetProperty("pairs").GetInt32(), r.GetProperty("window").GetInt32())).ToArray());
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "pairs", "window", "messages", "median_msgs_per_sec", "runs_msgs_per_sec");
            Assert.Equal(2000, r.GetProperty("messages").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_msgs_per_sec").GetDouble(), Doubles(r.GetProperty("runs_msgs_per_sec")));
        }
    }

    [Fact]
    public void Fanout_reports_rounds_per_second()
    {
        var r = Assert.Single(RunScenario("fanout"));
        AssertFields(r, "scenario", "width", "rounds", "median_rounds_per_sec", "runs_rounds_per_sec");
        Assert.Equal(20, r.GetProperty("width").GetInt32());
        Assert.Equal(5, r.GetProperty("rounds").GetInt32());
        AssertRunsAndMedian(r.GetProperty("median_rounds_per_sec").GetDouble(), Doubles(r.GetProperty("runs_rounds_per_sec")));
    }

    [Fact]
    public void Ask_reports_ordered_percentiles_and_their_medians()
    {
        var r = Assert.Single(RunScenario("ask"));
        AssertFields(r, "scenario", "asks", "median_p50_us", "median_p90_us", "median_p99_us", "median_p999_us", "median_asks_per_sec", "runs");
        Assert.Equal(200, r.GetProperty("asks").GetInt32());
        var runs = r.GetProperty("runs").EnumerateArray().ToArray();
        foreach (var run in runs)
        {
            AssertFields(run, "p50_us", "p90_us", "p99_us", "p999_us", "asks_per_sec");
            var p = new[] { "p50_us", "p90_us", "p99_us", "p999_us" }.Select(f => run.GetProperty(f).GetDouble()).ToArray();
            Assert.Equal(p.Order().ToArray(), p);
        }
        foreach (var (median, field) in new[] { ("median_p50_us", "p50_us"), ("median_p90_us", "p90_us"), ("median_p99_us", "p99_us"), ("median_p999_us", "p999_us"), ("median_asks_per_sec", "asks_per_sec") })
            AssertRunsAndMedian(r.GetProperty(median).GetDouble(), runs.Select(x => x.GetProperty(field).GetDouble()));
    }

    [Fact]
    public void Spawn_reports_the_rate_and_both_footprints()
    {
        var r = Assert.Single(RunScenario("spawn"));
        AssertFields(r, "scenario", "actors", "actors_per_sec", "bytes_per_idle_actor", "bytes_per_actor_after_one_message", "runs_actors_per_sec");
        Assert.Equal(500, r.GetProperty("actors").GetInt32());
        Assert.True(r.GetProperty("bytes_per_idle_actor").GetDouble() > 0);
        Assert.True(r.GetProperty("bytes_per_actor_after_one_message").GetDouble() > 0);
        AssertRunsAndMedian(r.GetProperty("actors_per_sec").GetDouble(), Doubles(r.GetProperty("runs_actors_per_sec")));
    }

    [Fact]
    public void Deterministic_reports_deliveries_per_second()
    {
        var r = Assert.Single(RunScenario("deterministic"));
        AssertFields(r, "scenario", "deliveries", "deliveries_per_sec", "runs_deliveries_per_sec");
        Assert.Equal(2000, r.GetProperty("deliveries").GetInt64());
        AssertRunsAndMedian(r.GetProperty("deliveries_per_sec").GetDouble(), Doubles(r.GetProperty("runs_deliveries_per_sec")));
    }

    [Fact]
    public void The_command_runs_the_selected_scenarios_and_writes_the_report()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loadtests-{Guid.NewGuid():N}.json");
        try
        {
            using var output = new StringWriter();
            var config = new InvocationConfiguration { Output = output, Error = output };
            // --only both repeated and as a comma list; --quick keeps the two scenarios small.
            var exit = Program.CreateRootCommand()
                .Parse(["runtime", "--quick", "--only", "deterministic,ask", "--only", "ask", "--json", path])
                .Invoke(config);
            Assert.Equal(0, exit);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            AssertFields(root, "runtime", "cores", "machine", "timestamp", "results");
            Assert.StartsWith(".NET", root.GetProperty("runtime").GetString(), StringComparison.Ordinal);
            Assert.Equal(Environment.ProcessorCount, root.GetProperty("cores").GetInt32());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetString()));
            Assert.True(DateTimeOffset.TryParse(root.GetProperty("timestamp").GetString(), out _));
            // In the family's order, not the order given.
            Assert.Equal(new[] { "ask", "deterministic" },
                root.GetProperty("results").EnumerateArray().Select(e => e.GetProperty("scenario").GetString() ?? "").ToArray());
            Assert.Contains("median", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("deliveries=50000", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_scenario_is_a_usage_error_that_names_the_known_ones()
    {
        using var output = new StringWriter();
        var config = new InvocationConfiguration { Output = output, Error = output };
        var exit = Program.CreateRootCommand().Parse(["runtime", "--only", "pingpong,nosuch"]).Invoke(config);
        Assert.NotEqual(0, exit);
        Assert.Contains("Unknown scenario 'nosuch'", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("pingpong, fanout, ask, spawn, deterministic", output.ToString(), StringComparison.Ordinal);
    }
}

public sealed class MeasureTests
{
    [Fact]
    public void Runs_discards_the_warm_ups_and_returns_the_measured_runs_in_order()
    {
        var calls = 0;
        var runs = Measure.Runs(new MeasureSettings(1, 3), () => ++calls);
        Assert.Equal(4, calls);
        Assert.Equal([2, 3, 4], runs);
    }

    [Fact]
    public void Median_is_the_middle_value_or_the_mean_of_the_two_middle_ones()
    {
        Assert.Equal(5.0, Measure.Median([9.0, 1.0, 5.0]));
        Assert.Equal(4.0, Measure.Median([1.0, 3.0, 5.0, 100.0]));
    }
}
