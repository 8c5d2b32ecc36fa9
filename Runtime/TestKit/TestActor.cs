using System.Collections.Concurrent;
using IommuSim.Runtime;

namespace IommuSim.TestKit;

/// <summary>
/// The messages a test actor received, in arrival order. The actor enqueues on its dispatcher
/// thread and the test thread takes; the queue and its semaphore are the hand-off between the
/// two, which is why this one structure is shared across threads.
/// </summary>
internal sealed class TestMessageQueue
{
    private readonly ConcurrentQueue<Envelope> _queue = new();
    private readonly SemaphoreSlim _available = new(0);

    public bool IsEmpty => _queue.IsEmpty;
    public int Count => _queue.Count;

    public void Add(Envelope e)
    {
        _queue.Enqueue(e);
        _available.Release();
    }

    /// <summary>Waits on the wall clock (thread-pool dispatchers).</summary>
    public bool TryTake(TimeSpan timeout, out Envelope envelope)
    {
        envelope = default;
        if (!_available.Wait(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout)) return false;
        return _queue.TryDequeue(out envelope);
    }

    /// <summary>Takes without waiting (the deterministic kit has already run the system until a message came).</summary>
    public bool TryTakeNow(out Envelope envelope) => TryTake(TimeSpan.Zero, out envelope);
}

/// <summary>Puts everything it receives into the test's queue; watches on request.</summary>
internal sealed class TestActor(TestMessageQueue queue) : ActorBase
{
    internal sealed record WatchRequest(IActorRef Target);
    internal sealed record UnwatchRequest(IActorRef Target);

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case WatchRequest w:
                Context.Watch(w.Target);
                break;
            case UnwatchRequest u:
                Context.Unwatch(u.Target);
                break;
            default:
                queue.Add(new Envelope(message, Context.Sender));
                break;
        }
        return true;
    }
}
