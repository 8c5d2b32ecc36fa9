namespace IommuSim.Runtime.Event;

/// <summary>
/// Publish-subscribe by message type: a subscriber to a type receives every published event of
/// that type or of a subtype. Subscribers are actors (told the event) or in-process sinks (called
/// on the publishing thread; they must be thread-safe and quick, like a log writer).
/// </summary>
public sealed class EventStream
{
    private sealed record Subscription(Type Channel, IActorRef? Actor, Action<object>? Sink);

    // Publishing happens on every thread, subscribing rarely: subscriptions are an immutable
    // array replaced under a lock (copy-on-write), so Publish reads it without locking.
    private readonly object _writeLock = new();
    private Subscription[] _subscriptions = [];

    public bool Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        return Add(new Subscription(channel, subscriber, null));
    }

    /// <summary>Subscribes an in-process sink; dispose the result to unsubscribe.</summary>
    public IDisposable Subscribe(Type channel, Action<object> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var sub = new Subscription(channel, null, sink);
        Add(sub);
        return new Unsubscriber(this, sub);
    }

    private bool Add(Subscription sub)
    {
        lock (_writeLock)
        {
            if (_subscriptions.Any(s => s.Channel == sub.Channel && Equals(s.Actor, sub.Actor) && sub.Actor != null)) return false;
            _subscriptions = [.. _subscriptions, sub];
            return true;
        }
    }

    public bool Unsubscribe(IActorRef subscriber, Type channel) => RemoveWhere(s => Equals(s.Actor, subscriber) && s.Channel == channel);

    public bool Unsubscribe(IActorRef subscriber) => RemoveWhere(s => Equals(s.Actor, subscriber));

    private bool RemoveWhere(Func<Subscription, bool> match)
    {
        lock (_writeLock)
        {
            var kept = _subscriptions.Where(s => !match(s)).ToArray();
            var removed = kept.Length != _subscriptions.Length;
            _subscriptions = kept;
            return removed;
        }
    }

    // Events published that no subscriber received (see UnobservedPublishes); only that path
    // touches it, so publishing to subscribers pays nothing for the count.
    private long _unobserved;

    public void Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var subs = Volatile.Read(ref _subscriptions);
        var type = @event.GetType();
        var delivered = false;
        foreach (var s in subs)
        {
            if (!s.Channel.IsAssignableFrom(type)) continue;
            delivered = true;
            if (s.Actor != null) s.Actor.Tell(@event, null);
            else s.Sink!(@event);
        }
        if (!delivered) Interlocked.Increment(ref _unobserved);
    }

    /// <summary>
    /// Events published that no subscriber received: built for nothing. Publishers of frequent
    /// events check <see cref="HasSubscribers"/> first, so a run nobody observes keeps this at 0
    /// (dead letters and unhandled messages are published regardless).
    /// </summary>
    public long UnobservedPublishes => Interlocked.Read(ref _unobserved);

    /// <summary>Whether anything listens to events of this type (to skip building events nobody reads).</summary>
    public bool HasSubscribers(Type type)
    {
        foreach (var s in Volatile.Read(ref _subscriptions))
            if (s.Channel.IsAssignableFrom(type)) return true;
        return false;
    }

    private sealed class Unsubscriber(EventStream stream, Subscription sub) : IDisposable
    {
        public void Dispose() => stream.RemoveWhere(s => ReferenceEquals(s, sub));
    }
}
