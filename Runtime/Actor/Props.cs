namespace IommuSim.Runtime;

/// <summary>
/// How to create an actor: a factory plus its dispatcher, mailbox and supervisor strategy.
/// Immutable; the factory runs again on every restart, so it must build a fresh instance.
/// </summary>
public sealed record Props
{
    public const string DefaultDispatcherId = "akka.actor.default-dispatcher";
    public const string DefaultMailboxId = "akka.actor.default-mailbox";

    private Props(Func<ActorBase> factory, Type actorType)
    {
        Factory = factory;
        ActorType = actorType;
    }

    public Func<ActorBase> Factory { get; }
    public Type ActorType { get; }
    public string Dispatcher { get; init; } = DefaultDispatcherId;
    public string Mailbox { get; init; } = DefaultMailboxId;
    /// <summary>How this actor supervises its children; null means the actor's own <see cref="ActorBase.SupervisorStrategy"/>.</summary>
    public SupervisorStrategy? SupervisorStrategy { get; init; }

    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase =>
        new(factory ?? throw new ArgumentNullException(nameof(factory)), typeof(TActor));

    public static Props Create<TActor>() where TActor : ActorBase, new() => new(() => new TActor(), typeof(TActor));

    public Props WithDispatcher(string dispatcherId) => this with { Dispatcher = dispatcherId };
    public Props WithMailbox(string mailboxId) => this with { Mailbox = mailboxId };
    public Props WithSupervisorStrategy(SupervisorStrategy strategy) => this with { SupervisorStrategy = strategy };

    internal ActorBase NewActor() => Factory();
}
