using System.Collections.Concurrent;

namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// The default mailbox: an unbounded multi-producer FIFO. FIFO per receiver implies the ordering
/// guarantee: messages from one sender to one receiver arrive in send order.
/// </summary>
public sealed class UnboundedMailbox : ThreadedMailbox
{
    // Created on the first user message, so an actor that never received one (most of a large
    // spawn) does not pay for a queue segment.
    private MpscQueue<Envelope>? _queue;

    public override int NumberOfMessages => _queue?.Count ?? 0;
    public override bool HasMessages => _queue is { HasItems: true };

    internal override void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var q = _queue ?? EnsureQueue();
        q.Enqueue(envelope);
    }

    private MpscQueue<Envelope> EnsureQueue()
    {
        var fresh = new MpscQueue<Envelope>();
        return Interlocked.CompareExchange(ref _queue, fresh, null) ?? fresh;
    }

    internal override bool TryDequeue(out Envelope envelope)
    {
        var q = _queue;
        if (q != null) return q.TryDequeue(out envelope);
        envelope = default;
        return false;
    }
}

/// <summary>What a bounded mailbox does with a message that finds it full.</summary>
public enum OverflowStrategy
{
    /// <summary>The new message is dropped (published as <see cref="Dropped"/> and a dead letter).</summary>
    DropNew,
    /// <summary>The oldest queued message is dropped to make room for the new one.</summary>
    DropHead,
}

/// <summary>
/// A mailbox holding at most <see cref="Capacity"/> user messages. The count is reserved before
/// the enqueue, so concurrent senders can never push it past the capacity.
/// </summary>
public sealed class BoundedMailbox(int capacity, OverflowStrategy overflow) : ThreadedMailbox
{
    private readonly ConcurrentQueue<Envelope> _queue = new();
    private int _count;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "capacity must be positive");
    public OverflowStrategy Overflow { get; } = overflow;
    public override int NumberOfMessages => Volatile.Read(ref _count);
    public override bool HasMessages => !_queue.IsEmpty;

    internal override void Enqueue(IActorRef receiver, Envelope envelope)
    {
        while (true)
        {
            var c = Volatile.Read(ref _count);
            if (c < Capacity)
            {
                if (Interlocked.CompareExchange(ref _count, c + 1, c) != c) continue;
                _queue.Enqueue(envelope);
                return;
            }
            if (Overflow == OverflowStrategy.DropNew)
            {
                Cell.System.PublishDropped(envelope, "mailbox full (drop-new)", receiver);
                return;
            }
            // DropHead: take the oldest out, then retry the reservation with its slot freed.
            if (_queue.TryDequeue(out var oldest))
            {
                Interlocked.Decrement(ref _count);
                Cell.System.PublishDropped(oldest, "mailbox full (drop-head)", receiver);
            }
        }
    }

    internal override bool TryDequeue(out Envelope envelope)
    {
        if (!_queue.TryDequeue(out envelope)) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }
}
