namespace IommuSim.Runtime.Deterministic;

/// <summary>
/// The messages from one sender to one receiver, in send order. The deterministic dispatcher
/// chooses among channels, never within one: that is how it explores interleavings while keeping
/// per-sender FIFO. A receiver's stash has its own channel (messages put back by Unstash).
/// </summary>
internal sealed class Channel(ActorCell receiver, long senderUid, long id, bool isUnstash)
{
    private readonly Queue<Envelope>? _queue = isUnstash ? null : new Queue<Envelope>();

    public ActorCell Receiver { get; } = receiver;
    public long SenderUid { get; } = senderUid;
    /// <summary>Creation order, unique per dispatcher: the tie-break of every strategy.</summary>
    public long Id { get; } = id;
    public bool IsUnstash { get; } = isUnstash;
    /// <summary>Position in the dispatcher's enabled list, or -1 when empty.</summary>
    public int EnabledIndex { get; set; } = -1;
    /// <summary>PCT priority: the highest enabled priority runs.</summary>
    public long Priority { get; set; }

    public int Count => IsUnstash ? (Receiver.HasUnstashed ? 1 : 0) : _queue!.Count;
    public void Enqueue(Envelope e) => _queue!.Enqueue(e);

    public bool TryTake(out Envelope envelope)
    {
        if (IsUnstash) return Receiver.TryTakeUnstashed(out envelope);
        return _queue!.TryDequeue(out envelope);
    }
}
