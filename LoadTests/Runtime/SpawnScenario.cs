using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// Actor creation rate and footprint: one parent actor creates <c>count</c> children of a minimal
/// <see cref="UntypedActor"/> in one message (children of one parent, not top-level actors: that is
/// how the simulator's domains and address spaces grow). The clock runs from the request to the
/// last child's PreStart. The managed heap is measured after a full collection three times: before,
/// with every child created and never messaged, and after each child has received one message (the
/// engine creates a mailbox's queue on its first message, so the two figures differ).
/// </summary>
public sealed class SpawnScenario(RuntimeSettings settings) : IScenario
{
    public const string ScenarioName = "spawn";

    public string Name => ScenarioName;

    private readonly record struct SpawnRun(double ActorsPerSec, double BytesPerIdleActor, double BytesPerActorAfterOneMessage);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var count = settings.SpawnActors;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(count));
        var rate = Measure.Median(runs.Select(r => r.ActorsPerSec));
        var idle = Measure.Median(runs.Select(r => r.BytesPerIdleActor));
        var messaged = Measure.Median(runs.Select(r => r.BytesPerActorAfterOneMessage));
        report(new ScenarioResult(
            Name,
            $"actors={count} children of one parent",
            $"{ResultTable.Rate(rate, "actors/s")}, {ResultTable.Number(idle, "0")} B idle, {ResultTable.Number(messaged, "0")} B after 1 msg",
            string.Join("; ", runs.Select(r => $"{ResultTable.Rate(r.ActorsPerSec, "actors/s")}, {ResultTable.Number(r.BytesPerIdleActor, "0")} B, {ResultTable.Number(r.BytesPerActorAfterOneMessage, "0")} B")),
            new JsonObject
            {
                ["scenario"] = Name,
                ["actors"] = count,
                ["actors_per_sec"] = BenchmarkReport.Round(rate, 1),
                ["bytes_per_idle_actor"] = BenchmarkReport.Round(idle, 1),
                ["bytes_per_actor_after_one_message"] = BenchmarkReport.Round(messaged, 1),
                ["runs_actors_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.ActorsPerSec), 1),
            }));
    }

    private static SpawnRun RunOnce(int count)
    {
        var system = BenchmarkSystems.ThreadPool("spawn");
        try
        {
            var latches = new SpawnLatches(count);
            var parent = system.ActorOf(Props.Create(() => new SpawnParent(latches)));
            BenchmarkSystems.AwaitCreated(parent);
            var baseline = Measure.LiveHeapBytes();

            var start = Stopwatch.GetTimestamp();
            parent.Tell(new SpawnParent.SpawnChildren(count), null);
            BenchmarkSystems.Wait(latches.Started.Task, "spawn");
            var elapsed = Stopwatch.GetElapsedTime(start);
            // The parent has left its creating loop (it answers Identify only after it), so what
            // the heap holds now is the children, not a half-finished message.
            BenchmarkSystems.AwaitCreated(parent);
            var idle = Measure.LiveHeapBytes();

            parent.Tell(SpawnParent.PokeChildren.Instance, null);
            BenchmarkSystems.Wait(latches.Poked.Task, "poke");
            BenchmarkSystems.AwaitCreated(parent);
            var messaged = Measure.LiveHeapBytes();

            return new SpawnRun(
                Measure.PerSecond(count, elapsed),
                (double)(idle - baseline) / Math.Max(count, 1),
                (double)(messaged - baseline) / Math.Max(count, 1));
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }
}

/// <summary>
/// What the children signal: creation (PreStart) and their one message. One object that every
/// child references, so the benchmark adds a single 8-byte field to each actor it weighs.
/// </summary>
internal sealed class SpawnLatches(int count)
{
    public Countdown Started { get; } = new(count);
    public Countdown Poked { get; } = new(count);
}

internal sealed class SpawnParent(SpawnLatches latches) : UntypedActor
{
    internal sealed record SpawnChildren(int Count);
    internal sealed class PokeChildren { public static readonly PokeChildren Instance = new(); }
    internal sealed class Poke { public static readonly Poke Instance = new(); }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SpawnChildren s:
                var props = Props.Create(() => new IdleActor(latches));
                for (var i = 0; i < s.Count; i++) Context.ActorOf(props);
                break;
            case PokeChildren:
                foreach (var c in Context.GetChildren()) c.Tell(Poke.Instance, Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

/// <summary>The minimal actor: counts its creation and its one message, and otherwise does nothing.</summary>
internal sealed class IdleActor(SpawnLatches latches) : UntypedActor
{
    protected override void PreStart() => latches.Started.Signal();

    protected override void OnReceive(object message)
    {
        if (message is SpawnParent.Poke) latches.Poked.Signal();
        else Unhandled(message);
    }
}
