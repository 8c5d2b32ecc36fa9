using IommuSim.Runtime.Event;

namespace IommuSim.Runtime;

// Dead letters, unhandled and dropped messages: counted, published on the event stream, and
// the first few dead letters logged.
public sealed partial class ActorSystem
{
    private long _deadLetters;
    private long _unhandled;
    private long _dropped;
    private long _pendingAsks;

    public long DeadLetterCount => Interlocked.Read(ref _deadLetters);
    public long UnhandledCount => Interlocked.Read(ref _unhandled);
    public long DroppedCount => Interlocked.Read(ref _dropped);
    /// <summary>Asks whose reply target is still waiting (neither answered, timed out nor cancelled).</summary>
    public long PendingAsks => Interlocked.Read(ref _pendingAsks);

    internal void OnAskStarted() => Interlocked.Increment(ref _pendingAsks);
    internal void OnAskCompleted() => Interlocked.Decrement(ref _pendingAsks);

    internal void PublishDeadLetter(Envelope envelope, IActorRef recipient) =>
        OnDeadLetter(envelope.Message as DeadLetter ?? new DeadLetter(envelope.Message, envelope.Sender, recipient));

    internal void OnDeadLetter(DeadLetter dl)
    {
        var n = Interlocked.Increment(ref _deadLetters);
        EventStream.Publish(dl);
        if (n <= Settings.LogDeadLetters)
        {
            var more = n == Settings.LogDeadLetters ? " No more dead letters will be logged." : "";
            Log.Info($"Message [{dl.Message.GetType().Name}] from {dl.Sender?.Path.ToString() ?? "NoSender"} to {dl.Recipient.Path} was not delivered. [{n}] dead letters encountered.{more}");
        }
    }

    internal void PublishUnhandled(object message, IActorRef? sender, IActorRef recipient)
    {
        Interlocked.Increment(ref _unhandled);
        EventStream.Publish(new UnhandledMessage(message, sender, recipient));
        Log.Debug($"Unhandled message [{message.GetType().Name}] from {sender?.Path.ToString() ?? "NoSender"} to {recipient.Path}");
    }

    internal void PublishDropped(Envelope envelope, string reason, IActorRef recipient)
    {
        Interlocked.Increment(ref _dropped);
        EventStream.Publish(new Dropped(envelope.Message, reason, envelope.Sender, recipient));
    }

    /// <summary>
    /// A system message for an actor that is gone: a Watch is answered at once with the death
    /// notification (so watching a dead actor still yields Terminated); the rest is dropped.
    /// </summary>
    internal void DeadLetterSystemMessage(IActorRef recipient, SystemMessage message)
    {
        if (message is Watch w && !ReferenceEquals(w.Watcher, recipient))
            w.Watcher.SendSystemMessage(new DeathWatchNotification(w.Watchee, existenceConfirmed: recipient is LocalActorRef));
    }
}
