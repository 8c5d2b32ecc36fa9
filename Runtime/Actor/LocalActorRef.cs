namespace IommuSim.Runtime;

/// <summary>The reference to an actor of this process.</summary>
internal sealed class LocalActorRef(ActorCell cell, ActorPath path) : InternalActorRef
{
    internal ActorCell Cell { get; } = cell;
    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        Cell.SendMessage(new Envelope(message, sender));
    }

    internal override void SendSystemMessage(SystemMessage message) => Cell.SendSystemMessage(message);
    internal override bool IsTerminated => Cell.IsTerminated;
}

/// <summary>
/// Where messages to dead actors go: each is counted and published on the event stream as a
/// <see cref="DeadLetter"/>.
/// </summary>
internal sealed class DeadLettersRef(ActorSystem system, ActorPath path) : InternalActorRef
{
    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dl = message as DeadLetter ?? new DeadLetter(message, sender, this);
        system.OnDeadLetter(dl);
    }

    internal override void SendSystemMessage(SystemMessage message) => system.DeadLetterSystemMessage(this, message);
    internal override bool IsTerminated => false;
}

/// <summary>
/// Parent of the root guardian: receives its failures and its termination, which completes
/// <see cref="ActorSystem.WhenTerminated"/>.
/// </summary>
internal sealed class RootParentRef(ActorSystem system, ActorPath path) : InternalActorRef
{
    public override ActorPath Path { get; } = path;
    public override void Tell(object message, IActorRef? sender) => system.DeadLettersRef.Tell(message, sender);

    internal override void SendSystemMessage(SystemMessage message)
    {
        switch (message)
        {
            case Failed f:
                system.Log.Error(f.Cause, $"Guardian {f.Child.Path} failed; stopping it");
                ((InternalActorRef)f.Child).SendSystemMessage(new Terminate());
                break;
            case DeathWatchNotification:
                system.OnRootTerminated();
                break;
        }
    }

    internal override bool IsTerminated => false;
}
