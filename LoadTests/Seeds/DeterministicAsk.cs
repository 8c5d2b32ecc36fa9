using IommuSim.Runtime;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// Requests to actors of a deterministic system from the benchmark's thread: the asks are queued,
/// then the dispatcher runs on this thread until nothing is runnable, which answers them (a
/// blocking wait would never return: nothing runs unless this thread runs it).
/// </summary>
internal static class DeterministicAsk
{
    public static T Call<T>(ActorSystem system, IActorRef target, object message) => CallAll<T>(system, [(target, message)])[0];

    public static T[] CallAll<T>(ActorSystem system, IEnumerable<(IActorRef Target, object Message)> requests)
    {
        var dispatcher = system.Deterministic ?? throw new InvalidOperationException("the system does not run on the deterministic dispatcher");
        var tasks = requests.Select(r => r.Target.Ask<T>(r.Message, Timeout.InfiniteTimeSpan)).ToArray();
        dispatcher.RunUntilIdle();
        if (tasks.Any(t => !t.IsCompletedSuccessfully))
            throw new InvalidOperationException($"{tasks.Count(t => !t.IsCompletedSuccessfully)} of {tasks.Length} requests got no reply");
        return [.. tasks.Select(t => t.Result)];
    }
}
