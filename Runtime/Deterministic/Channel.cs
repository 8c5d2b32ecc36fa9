namespace IommuSim.Runtime.Deterministic;

/// <summary>
/// The messages from one sender to one receiver, in send order. The deterministic dispatcher
/// chooses among channels, never within one: that is how it explores interleavings while keeping
/// per-sender FIFO. Messages put back by Unstash return to the head of their sender's channel,
/// ahead of what that sender sent since.
/// </summary>
internal sealed class Channel(ActorCell receiver, long senderUid, long id)
{
    private readonly Queue<Envelope> _queue = new();
    private Stack<Envelope>? _front; // unstashed messages, the oldest on top

    public ActorCell Receiver { get; } = receiver;
    public long SenderUid { get; } = senderUid;
    /// <summary>Creation order, unique per dispatcher: the tie-break of every strategy.</summary>
    public long Id { get; } = id;
    /// <summary>Position in the dispatcher's enabled list, or -1 when empty.</summary>
    public int EnabledIndex { get; set; } = -1;
    /// <summary>PCT priority: the highest enabled priority runs.</summary>
    public long Priority { get; set; }

    public int Count => _queue.Count + (_front?.Count ?? 0);
    public void Enqueue(Envelope e) => _queue.Enqueue(e);
    public void PushFront(Envelope e) => (_front ??= new Stack<Envelope>()).Push(e);

    public bool TryTake(out Envelope envelope) =>
        _front is { Count: > 0 } front ? front.TryPop(out envelope) : _queue.TryDequeue(out envelope);
}
