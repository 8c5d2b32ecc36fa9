using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// Request-reply latency from outside any actor: a plain loop awaits one Ask (with a timeout, as
/// production code gives one) after another against an echo actor, timing each with
/// <see cref="Stopwatch.GetTimestamp"/>. Reports percentiles and asks per second.
/// </summary>
public sealed class AskScenario(RuntimeSettings settings) : IScenario
{
    public const string ScenarioName = "ask";

    public string Name => ScenarioName;

    private readonly record struct AskRun(double P50, double P90, double P99, double P999, double AsksPerSec);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var asks = settings.Asks;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(asks, settings.AskTimeout));
        var p50 = Measure.Median(runs.Select(r => r.P50));
        var p90 = Measure.Median(runs.Select(r => r.P90));
        var p99 = Measure.Median(runs.Select(r => r.P99));
        var p999 = Measure.Median(runs.Select(r => r.P999));
        var rate = Measure.Median(runs.Select(r => r.AsksPerSec));
        var runsJson = new JsonArray();
        foreach (var r in runs)
        {
            runsJson.Add(new JsonObject
            {
                ["p50_us"] = BenchmarkReport.Round(r.P50, 3),
                ["p90_us"] = BenchmarkReport.Round(r.P90, 3),
                ["p99_us"] = BenchmarkReport.Round(r.P99, 3),
                ["p999_us"] = BenchmarkReport.Round(r.P999, 3),
                ["asks_per_sec"] = BenchmarkReport.Round(r.AsksPerSec, 1),
            });
        }
        report(new ScenarioResult(
            Name,
            $"asks={asks} timeout={settings.AskTimeout.TotalSeconds:0.###}s",
            $"p50 {Us(p50)} p90 {Us(p90)} p99 {Us(p99)} p99.9 {Us(p999)} us, {ResultTable.Rate(rate, "asks/s")}",
            string.Join("; ", runs.Select(r => $"p50 {Us(r.P50)} p99 {Us(r.P99)} us, {ResultTable.Rate(r.AsksPerSec, "asks/s")}")),
            new JsonObject
            {
                ["scenario"] = Name,
                ["asks"] = asks,
                ["median_p50_us"] = BenchmarkReport.Round(p50, 3),
                ["median_p90_us"] = BenchmarkReport.Round(p90, 3),
                ["median_p99_us"] = BenchmarkReport.Round(p99, 3),
                ["median_p999_us"] = BenchmarkReport.Round(p999, 3),
                ["median_asks_per_sec"] = BenchmarkReport.Round(rate, 1),
                ["runs"] = runsJson,
            }));
    }

    private static string Us(double microseconds) => ResultTable.Number(microseconds, "0.0");

    private static AskRun RunOnce(int asks, TimeSpan timeout)
    {
        var system = BenchmarkSystems.ThreadPool("ask");
        try
        {
            var echo = system.ActorOf(Props.Create(() => new Echo()));
            BenchmarkSystems.AwaitCreated(echo);
            // The loop itself is the measurement: each Ask is awaited before the next one starts.
            return AskLoop(echo, asks, timeout).GetAwaiter().GetResult();
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    private static async Task<AskRun> AskLoop(IActorRef echo, int asks, TimeSpan timeout)
    {
        var latencies = new long[asks];
        var question = new Question();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < asks; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await echo.Ask<Question>(question, timeout).ConfigureAwait(false);
            latencies[i] = Stopwatch.GetTimestamp() - t0;
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        Array.Sort(latencies);
        return new AskRun(
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.90),
            Percentile(latencies, 0.99),
            Percentile(latencies, 0.999),
            Measure.PerSecond(asks, elapsed));
    }

    /// <summary>Nearest-rank percentile of sorted timestamp differences, in microseconds.</summary>
    private static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p * sorted.Length);
        var ticks = sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        return ticks * 1e6 / Stopwatch.Frequency;
    }

    internal sealed class Question;

    /// <summary>Replies with the message it got.</summary>
    internal sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message, Self);
    }
}
