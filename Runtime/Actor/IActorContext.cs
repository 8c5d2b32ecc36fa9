using IommuSim.Runtime.Event;

namespace IommuSim.Runtime;

/// <summary>Creates actors: the system (top-level actors) and every actor's context (children).</summary>
public interface IActorRefFactory
{
    IActorRef ActorOf(Props props, string? name = null);
}

/// <summary>What an actor sees of the runtime while it processes a message.</summary>
public interface IActorContext : IActorRefFactory
{
    IActorRef Self { get; }
    /// <summary>The sender of the message being processed; dead letters when there is none.</summary>
    IActorRef Sender { get; }
    IActorRef Parent { get; }
    Props Props { get; }
    ActorSystem System { get; }
    IEnumerable<IActorRef> GetChildren();
    /// <summary>The child of that name, or null.</summary>
    IActorRef? Child(string name);
    void Stop(IActorRef child);
    /// <summary>Delivers <see cref="Terminated"/> when the subject stops (at once if it already has).</summary>
    IActorRef Watch(IActorRef subject);
    IActorRef Unwatch(IActorRef subject);
    /// <summary>Replaces the current behaviour.</summary>
    void Become(Receive receive);
    /// <summary>Pushes a behaviour; <see cref="UnbecomeStacked"/> returns to the previous one.</summary>
    void BecomeStacked(Receive receive);
    void UnbecomeStacked();
    /// <summary>Sends <see cref="ReceiveTimeout"/> after this long without a message; null turns it off.</summary>
    void SetReceiveTimeout(TimeSpan? timeout);
    TimeSpan? ReceiveTimeout { get; }
    ILoggingAdapter Log { get; }
}

/// <summary>A behaviour: returns false for a message it does not handle.</summary>
public delegate bool Receive(object message);
