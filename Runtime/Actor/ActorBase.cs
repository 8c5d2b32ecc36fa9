using IommuSim.Runtime.Event;

namespace IommuSim.Runtime;

/// <summary>
/// The base of every actor. The actor's state belongs to it alone: the runtime never runs two
/// messages of one actor at the same time, and everything the actor touches between messages is
/// published to the next message's thread by the mailbox's status word.
/// </summary>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    protected ActorBase()
    {
        _cell = ActorCell.Current ?? throw new ActorException(
            $"{GetType().Name} cannot be constructed with 'new': create actors with ActorOf(Props.Create(() => new {GetType().Name}(...))).");
        _cell.BindActor(this);
    }

    protected IActorContext Context => _cell;
    protected IActorRef Self => _cell.Self;
    protected IActorRef Sender => _cell.Sender;
    protected ILoggingAdapter Log => _cell.Log;

    /// <summary>The initial behaviour; returns false when the message is not handled.</summary>
    protected abstract bool Receive(object message);

    protected virtual void PreStart() { }
    protected virtual void PostStop() { }

    /// <summary>Before a restart, on the failed instance: by default stops all children, then PostStop.</summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.GetChildren()) Context.Stop(child);
        PostStop();
    }

    /// <summary>After a restart, on the fresh instance: by default PreStart.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>By default publishes <see cref="UnhandledMessage"/>; an unhandled Terminated is a DeathPactException.</summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated t) throw new DeathPactException(t.ActorRef);
        _cell.System.PublishUnhandled(message, _cell.Sender, _cell.Self);
    }

    internal void InvokeUnhandled(object message) => Unhandled(message);

    /// <summary>How this actor supervises its children.</summary>
    protected virtual SupervisorStrategy SupervisorStrategy() => Runtime.SupervisorStrategy.DefaultStrategy;

    // The runtime's entry points into the protected hooks.
    internal bool AroundReceive(object message) => Receive(message);
    internal void AroundPreStart() => PreStart();
    internal void AroundPostStop() => PostStop();
    internal void AroundPreRestart(Exception reason, object? message) => PreRestart(reason, message);
    internal void AroundPostRestart(Exception reason) => PostRestart(reason);
    internal SupervisorStrategy AroundSupervisorStrategy() => SupervisorStrategy();

    /// <summary>Replaces the behaviour (Context.Become).</summary>
    protected void Become(Receive receive) => _cell.Become(receive);
    protected void BecomeStacked(Receive receive) => _cell.BecomeStacked(receive);
    protected void UnbecomeStacked() => _cell.UnbecomeStacked();

    /// <summary>Access to the stash; only for actors that implement <see cref="IWithUnboundedStash"/>.</summary>
    public IStash Stash => _cell.GetStash();

    /// <summary>Named timers that deliver messages to this actor and are cancelled when it stops.</summary>
    public ITimerScheduler Timers => _cell.GetTimers();
}

/// <summary>An actor that handles every message in one method.</summary>
public abstract class UntypedActor : ActorBase
{
    protected sealed override bool Receive(object message)
    {
        OnReceive(message);
        return true;
    }

    /// <summary>Call <c>Unhandled(message)</c> for messages this actor does not handle.</summary>
    protected abstract void OnReceive(object message);
}
