namespace IommuSim.Runtime;

public class ActorException : Exception
{
    public ActorException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The actor's constructor or PreStart threw; the default supervisor stops it.</summary>
public sealed class ActorInitializationException : ActorException
{
    public ActorInitializationException(IActorRef? actor, string message, Exception? inner) : base(message, inner) => Actor = actor;
    public IActorRef? Actor { get; }
}

/// <summary>Thrown inside an actor that received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException : ActorException
{
    public ActorKilledException(string message) : base(message) { }
}

/// <summary>An actor did not handle the <see cref="Terminated"/> of an actor it watched.</summary>
public sealed class DeathPactException : ActorException
{
    public DeathPactException(IActorRef dead) : base($"Monitored actor {dead} terminated") => DeadActor = dead;
    public IActorRef DeadActor { get; }
}

public sealed class InvalidActorNameException : ActorException
{
    public InvalidActorNameException(string message) : base(message) { }
}

/// <summary>An Ask got no reply within its timeout.</summary>
public sealed class AskTimeoutException : TimeoutException
{
    public AskTimeoutException(string message) : base(message) { }
}

/// <summary>A post-restart failure escalated beyond the supervisor's retry limits.</summary>
public sealed class PostRestartException : ActorException
{
    public PostRestartException(IActorRef actor, Exception cause) : base($"Exception post restart of {actor}", cause) { }
}
