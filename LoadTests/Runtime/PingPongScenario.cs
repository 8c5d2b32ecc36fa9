using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// Message throughput between pairs of actors on the thread-pool dispatcher: N independent
/// (pinger, ponger) pairs, each pinger keeping <c>window</c> pings in flight, until the pairs have
/// exchanged the total number of messages (pings and pongs both count).
/// </summary>
public sealed class PingPongScenario(RuntimeSettings settings) : IScenario
{
    public const string ScenarioName = "pingpong";

    public string Name => ScenarioName;

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var pairs in settings.PingPongPairs)
            foreach (var window in settings.PingPongWindows)
                report(MeasureCombination(pairs, window));
    }

    private ScenarioResult MeasureCombination(int pairs, int window)
    {
        // Each pair's share, in round trips; a total that does not divide evenly is rounded down,
        // and the rate is computed from the messages actually exchanged.
        var pingsPerPair = settings.PingPongMessages / pairs / 2;
        var messages = pingsPerPair * 2 * pairs;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(pairs, window, pingsPerPair, messages));
        var median = Measure.Median(runs);
        return new ScenarioResult(
            Name,
            $"pairs={pairs} window={window} messages={messages}",
            ResultTable.Rate(median, "msgs/s"),
            ResultTable.Rates(runs),
            new JsonObject
            {
                ["scenario"] = Name,
                ["pairs"] = pairs,
                ["window"] = window,
                ["messages"] = messages,
                ["median_msgs_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_msgs_per_sec"] = BenchmarkReport.Array(runs, 1),
            });
    }

    private static double RunOnce(int pairs, int window, long pingsPerPair, long messages)
    {
        var system = BenchmarkSystems.ThreadPool("pingpong");
        try
        {
            var done = new Countdown(pairs);
            var pingers = new IActorRef[pairs];
            for (var i = 0; i < pairs; i++)
            {
                var ponger = system.ActorOf(Props.Create(() => new Ponger()));
                pingers[i] = system.ActorOf(Props.Create(() => new Pinger(ponger, pingsPerPair, window, done)));
                BenchmarkSystems.AwaitCreated(ponger);
                BenchmarkSystems.AwaitCreated(pingers[i]);
            }
            var start = Stopwatch.GetTimestamp();
            foreach (var p in pingers) p.Tell(PingPongMessage.Start, null);
            BenchmarkSystems.Wait(done.Task, "ping-pong");
            return Measure.PerSecond(messages, Stopwatch.GetElapsedTime(start));
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }
}

/// <summary>
/// The ping-pong messages: one shared instance each, so that the benchmark measures the engine's
/// allocations (envelopes, queue segments), not its own.
/// </summary>
internal sealed class PingPongMessage
{
    public static readonly PingPongMessage Start = new();
    public static readonly PingPongMessage Ping = new();
    public static readonly PingPongMessage Pong = new();

    private PingPongMessage() { }
}

/// <summary>
/// Sends <c>window</c> pings on Start, then one more per pong until it has sent its share; signals
/// <c>done</c> when the last pong is back.
/// </summary>
internal sealed class Pinger(IActorRef ponger, long pings, int window, Countdown done) : UntypedActor
{
    private long _sent;
    private long _received;

    protected override void OnReceive(object message)
    {
        if (ReferenceEquals(message, PingPongMessage.Pong))
        {
            _received++;
            if (_sent < pings) Send();
            else if (_received == pings) done.Signal();
        }
        else if (ReferenceEquals(message, PingPongMessage.Start))
        {
            if (pings == 0) done.Signal();
            while (_sent < pings && _sent < window) Send();
        }
        else
        {
            Unhandled(message);
        }
    }

    private void Send()
    {
        _sent++;
        ponger.Tell(PingPongMessage.Ping, Self);
    }
}

/// <summary>Answers every ping with a pong to its sender.</summary>
internal sealed class Ponger : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (ReferenceEquals(message, PingPongMessage.Ping)) Sender.Tell(PingPongMessage.Pong, Self);
        else Unhandled(message);
    }
}
