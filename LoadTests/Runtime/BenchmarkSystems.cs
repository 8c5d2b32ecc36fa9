using IommuSim.Runtime;

namespace IommuSim.LoadTests.Runtime;

/// <summary>Actor systems as the runtime benchmark uses them: one fresh system per run, silent.</summary>
internal static class BenchmarkSystems
{
    // Nothing on stdout but the table: dead letters and lifecycle logs would interleave with it.
    private const string Silent = "akka.stdout-loglevel = OFF";

    /// <summary>
    /// Only a guard against a hung engine (a lost message or a lost wakeup would otherwise make the
    /// benchmark wait forever); the longest healthy run takes seconds, and nothing polls: waits
    /// block on the completion task.
    /// </summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3);

    public static ActorSystem ThreadPool(string name) => ActorSystem.Create(name, Silent);

    public static ActorSystem Deterministic(string name) => ActorSystem.Create(name, Silent + """

        akka.actor.default-dispatcher = ${akka.actor.deterministic-dispatcher}
        """);

    public static void Wait(Task task, string what)
    {
        if (!task.Wait(HangGuard))
            throw new TimeoutException($"{what} did not complete within {HangGuard.TotalMinutes:0} minutes: a message or a wakeup was lost");
    }

    /// <summary>Blocks until the actor has been created (it answers Identify only after its Create ran).</summary>
    public static void AwaitCreated(IActorRef actor) =>
        Wait(actor.Ask<ActorIdentity>(new Identify(null), HangGuard), $"creation of {actor.Path}");

    public static void Shutdown(ActorSystem system) => Wait(system.Terminate(), $"termination of {system.Name}");
}

/// <summary>
/// Completed by the last of <c>count</c> signals, from any thread: how a benchmark learns that its
/// actors are done without polling.
/// </summary>
internal sealed class Countdown
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _left;

    public Countdown(long count)
    {
        _left = count;
        if (count <= 0) _done.SetResult();
    }

    public Task Task => _done.Task;

    public void Signal()
    {
        if (Interlocked.Decrement(ref _left) == 0) _done.SetResult();
    }
}
