namespace IommuSim.Runtime;

/// <summary>Something that accepts messages: actor references and the temporary reply target of an Ask.</summary>
public interface ICanTell
{
    void Tell(object message, IActorRef? sender);
}

/// <summary>
/// An immutable, thread-safe handle to an actor. Tell never blocks and never throws for a dead
/// target: the message goes to dead letters instead.
/// </summary>
public interface IActorRef : ICanTell, IEquatable<IActorRef>, IComparable<IActorRef>
{
    ActorPath Path { get; }
}

public static class ActorRefs
{
    /// <summary>Use as the sender when there is none (replies go to dead letters).</summary>
    public static readonly IActorRef? NoSender = null;

    /// <summary>A reference that accepts nothing; messages to it are dropped as dead letters.</summary>
    public static IActorRef Nobody => NobodyRef.Instance;
}

public static class ActorRefExtensions
{
    /// <summary>
    /// Tell with the current actor as sender when called from inside an actor's receive, and no
    /// sender otherwise (Akka.NET's implicit sender).
    /// </summary>
    public static void Tell(this ICanTell target, object message) =>
        target.Tell(message, ActorCell.Current?.Self);

    /// <summary>Sends the message on with the original sender of the message being processed.</summary>
    public static void Forward(this ICanTell target, object message)
    {
        var cell = ActorCell.Current ?? throw new InvalidOperationException("Forward can only be called from inside an actor's receive.");
        target.Tell(message, cell.Sender);
    }

    /// <summary>A reference whose actor has terminated or never existed.</summary>
    public static bool IsNobody(this IActorRef? actorRef) => actorRef is null || actorRef is NobodyRef;
}
