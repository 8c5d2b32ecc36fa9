namespace IommuSim.Runtime.Deterministic;

/// <summary>A mailbox split into one channel per sender, for the deterministic dispatcher.</summary>
internal sealed class DeterministicMailbox(DeterministicDispatcher dispatcher) : Dispatch.Mailbox
{
    private readonly Dictionary<long, Channel> _channels = [];
    private Channel? _last; // ping-pong and bursts hit the same sender again
    private int _count;
    private bool _suspended;

    public override int NumberOfMessages => _count;
    public override bool HasMessages => _count > 0;

    internal override void Enqueue(IActorRef receiver, Envelope envelope) => dispatcher.Dispatch(Cell, envelope);

    internal Channel ChannelFor(long senderUid)
    {
        if (_last is { } l && l.SenderUid == senderUid) return l;
        if (!_channels.TryGetValue(senderUid, out var c))
        {
            c = dispatcher.NewChannel(Cell, senderUid);
            _channels[senderUid] = c;
        }
        _last = c;
        return c;
    }

    internal void Added() => _count++;
    internal void Removed() => _count--;

    private protected override void OnSuspendChanged(bool suspended)
    {
        _suspended = suspended;
        dispatcher.SuspendedMailboxes += suspended ? 1 : -1;
    }

    /// <summary>The actor stopped: none of its channels is runnable any more.</summary>
    internal void DisableAll()
    {
        // A mailbox closed while suspended is never resumed: it no longer counts as suspended.
        if (_suspended)
        {
            _suspended = false;
            dispatcher.SuspendedMailboxes--;
        }
        foreach (var c in _channels.Values) dispatcher.Disable(c);
    }

    /// <summary>Used by clean-up after the actor stopped: drains every channel, oldest channel first.</summary>
    internal override bool TryDequeue(out Envelope envelope)
    {
        foreach (var c in _channels.Values)
        {
            if (c.TryTake(out envelope))
            {
                _count--;
                if (c.Count == 0) dispatcher.Disable(c);
                return true;
            }
        }
        envelope = default;
        return false;
    }
}
