namespace IommuSim.Runtime;

// Death watch: Watch/Unwatch and the Terminated that follows a watched actor's stop.
internal sealed partial class ActorCell
{
    private HashSet<IActorRef>? _watching;   // actors this one watches
    private HashSet<IActorRef>? _watchedBy;  // actors watching this one

    public IActorRef Watch(IActorRef subject)
    {
        if (subject is not InternalActorRef target || ReferenceEquals(target, Self)) return subject;
        if ((_watching ??= []).Add(subject))
            target.SendSystemMessage(new Watch(target, Self));
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        if (subject is not InternalActorRef target || ReferenceEquals(target, Self)) return subject;
        if (_watching != null && _watching.Remove(subject))
            target.SendSystemMessage(new Unwatch(target, Self));
        return subject;
    }

    private void AddWatcher(InternalActorRef watchee, InternalActorRef watcher)
    {
        if (!ReferenceEquals(watchee, Self) || ReferenceEquals(watcher, Self)) return;
        (_watchedBy ??= []).Add(watcher);
    }

    private void RemoveWatcher(InternalActorRef watchee, InternalActorRef watcher)
    {
        if (ReferenceEquals(watchee, Self)) _watchedBy?.Remove(watcher);
    }

    private void HandleDeathWatchNotification(DeathWatchNotification n)
    {
        if (ReferenceEquals(((InternalActorRef)n.Actor) is LocalActorRef l ? l.Cell.ParentRef : null, Self))
            ChildTerminated(n.Actor);
        // Terminated goes through the user queue, behind every message the dead actor sent
        // before it stopped (they were enqueued before its termination began).
        if (_watching != null && _watching.Contains(n.Actor) && !_terminating)
            Dispatcher.Dispatch(this, new Envelope(new Terminated(n.Actor, n.ExistenceConfirmed), n.Actor));
    }

    private void ReceivedTerminated(Terminated t)
    {
        // Unwatch after the notification was queued drops it, as Akka does.
        if (_watching == null || !_watching.Remove(t.ActorRef)) return;
        ReceiveMessage(t);
    }

    private void TellWatchersWeDied()
    {
        if (_watchedBy == null) return;
        foreach (var w in _watchedBy)
            if (w is InternalActorRef iw && !ReferenceEquals(iw, ParentRef))
                iw.SendSystemMessage(new DeathWatchNotification(Self, existenceConfirmed: true));
        // The parent hears once, through the child-terminated notification FinishTerminate sends.
        _watchedBy = null;
    }

    private void UnwatchWatchedActors()
    {
        if (_watching == null) return;
        foreach (var w in _watching)
            if (w is InternalActorRef iw) iw.SendSystemMessage(new Unwatch(iw, Self));
        _watching = null;
    }
}
