namespace IommuSim.Runtime;

/// <summary>Marks messages that do not reset an actor's receive timeout.</summary>
public interface INotInfluenceReceiveTimeout;

/// <summary>Stops the actor after the messages already in its mailbox (it is queued like any user message).</summary>
public sealed class PoisonPill
{
    public static readonly PoisonPill Instance = new();
    private PoisonPill() { }
    public override string ToString() => "PoisonPill";
}

/// <summary>Makes the actor throw <see cref="ActorKilledException"/>, so its supervisor decides (by default: stop).</summary>
public sealed class Kill
{
    public static readonly Kill Instance = new();
    private Kill() { }
    public override string ToString() => "Kill";
}

/// <summary>Delivered to a watcher when a watched actor has terminated.</summary>
public sealed record Terminated(IActorRef ActorRef, bool ExistenceConfirmed) : INotInfluenceReceiveTimeout;

/// <summary>Sent to an actor that received nothing during its receive timeout.</summary>
public sealed class ReceiveTimeout : INotInfluenceReceiveTimeout
{
    public static readonly ReceiveTimeout Instance = new();
    private ReceiveTimeout() { }
    public override string ToString() => "ReceiveTimeout";
}

/// <summary>Asks any actor for its reference; every actor answers with <see cref="ActorIdentity"/>.</summary>
public sealed record Identify(object? MessageId);

public sealed record ActorIdentity(object? MessageId, IActorRef? Subject);

/// <summary>Conventional replies (Akka's Status.Success / Status.Failure); a Failure completes an Ask with its exception.</summary>
public static class Status
{
    public sealed record Success(object? Status);
    public sealed record Failure(Exception Cause);
}

/// <summary>A message sent to a terminated or missing actor.</summary>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>A message the actor's current behaviour did not handle.</summary>
public sealed record UnhandledMessage(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>A message dropped by a bounded mailbox's overflow policy.</summary>
public sealed record Dropped(object Message, string Reason, IActorRef? Sender, IActorRef Recipient);
