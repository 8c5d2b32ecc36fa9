using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// Deliveries per second of the deterministic dispatcher (default settings: random strategy,
/// schedule recording on) on one ping-pong pair with window 1, timed around RunUntilQuiescent.
/// </summary>
public sealed class DeterministicScenario(RuntimeSettings settings) : IScenario
{
    public const string ScenarioName = "deterministic";

    public string Name => ScenarioName;

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var pings = settings.DeterministicDeliveries / 2;
        var deliveries = pings * 2;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(pings, deliveries));
        var median = Measure.Median(runs);
        report(new ScenarioResult(
            Name,
            $"deliveries={deliveries} pairs=1 window=1",
            ResultTable.Rate(median, "deliveries/s"),
            ResultTable.Rates(runs),
            new JsonObject
            {
                ["scenario"] = Name,
                ["deliveries"] = deliveries,
                ["deliveries_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_deliveries_per_sec"] = BenchmarkReport.Array(runs, 1),
            }));
    }

    private static double RunOnce(long pings, long deliveries)
    {
        var system = BenchmarkSystems.Deterministic("deterministic");
        try
        {
            var d = system.Deterministic ?? throw new InvalidOperationException("the system did not select the deterministic dispatcher");
            var done = new Countdown(1);
            var ponger = system.ActorOf(Props.Create(() => new Ponger()));
            var pinger = system.ActorOf(Props.Create(() => new Pinger(ponger, pings, 1, done)));
            pinger.Tell(PingPongMessage.Start, null);
            // One step creates both actors and delivers Start, which sends the first ping: what the
            // clock then sees is exactly the ping and pong deliveries.
            d.Step();
            var before = d.Steps;
            var start = Stopwatch.GetTimestamp();
            d.RunUntilQuiescent();
            var elapsed = Stopwatch.GetElapsedTime(start);
            var delivered = d.Steps - before;
            if (delivered != deliveries || !done.Task.IsCompleted)
                throw new InvalidOperationException($"deterministic ping-pong delivered {delivered} messages, expected {deliveries}");
            return Measure.PerSecond(delivered, elapsed);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }
}
