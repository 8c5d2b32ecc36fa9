using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// Scatter-gather: one actor Tells each of its <c>width</c> children and waits for all their
/// replies before the next round. Measures rounds per second.
/// </summary>
public sealed class FanOutScenario(RuntimeSettings settings) : IScenario
{
    public const string ScenarioName = "fanout";

    public string Name => ScenarioName;

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var width = settings.FanOutWidth;
        var rounds = settings.FanOutRounds;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(width, rounds));
        var median = Measure.Median(runs);
        report(new ScenarioResult(
            Name,
            $"width={width} rounds={rounds}",
            ResultTable.Rate(median, "rounds/s"),
            ResultTable.Rates(runs),
            new JsonObject
            {
                ["scenario"] = Name,
                ["width"] = width,
                ["rounds"] = rounds,
                ["median_rounds_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_rounds_per_sec"] = BenchmarkReport.Array(runs, 1),
            }));
    }

    private static double RunOnce(int width, int rounds)
    {
        var system = BenchmarkSystems.ThreadPool("fanout");
        try
        {
            var done = new Countdown(1);
            var parent = system.ActorOf(Props.Create(() => new FanOutParent(width, rounds, done)));
            // The children exist (each has answered an Identify) before the clock starts.
            BenchmarkSystems.Wait(parent.Ask<FanOutParent.Ready>(FanOutParent.Prepare.Instance, TimeSpan.FromMinutes(1)), "fan-out set-up");
            var start = Stopwatch.GetTimestamp();
            parent.Tell(FanOutParent.Go.Instance, null);
            BenchmarkSystems.Wait(done.Task, "fan-out");
            return Measure.PerSecond(rounds, Stopwatch.GetElapsedTime(start));
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }
}

/// <summary>Creates <c>width</c> children; on Go, runs <c>rounds</c> rounds of request to all, reply from all.</summary>
internal sealed class FanOutParent(int width, int rounds, Countdown done) : UntypedActor
{
    internal sealed class Prepare { public static readonly Prepare Instance = new(); }
    internal sealed class Ready { public static readonly Ready Instance = new(); }
    internal sealed class Go { public static readonly Go Instance = new(); }
    internal sealed class Request { public static readonly Request Instance = new(); }
    internal sealed class Reply { public static readonly Reply Instance = new(); }

    private readonly IActorRef[] _children = new IActorRef[width];
    private IActorRef? _prepareRequester;
    private int _identified;
    private int _replies;
    private int _round;

    protected override void PreStart()
    {
        var props = Props.Create(() => new FanOutChild());
        for (var i = 0; i < _children.Length; i++) _children[i] = Context.ActorOf(props);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Reply:
                if (++_replies < width) return;
                _replies = 0;
                if (++_round == rounds) done.Signal();
                else SendRound();
                break;
            case Go:
                if (rounds == 0) done.Signal();
                else SendRound();
                break;
            case Prepare:
                _prepareRequester = Sender;
                foreach (var c in _children) c.Tell(new Identify(null), Self);
                break;
            case ActorIdentity:
                if (++_identified == width) _prepareRequester?.Tell(Ready.Instance, Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void SendRound()
    {
        foreach (var c in _children) c.Tell(Request.Instance, Self);
    }
}

internal sealed class FanOutChild : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is FanOutParent.Request) Sender.Tell(FanOutParent.Reply.Instance, Self);
        else Unhandled(message);
    }
}
