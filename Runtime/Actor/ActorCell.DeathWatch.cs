namespace IommuSim.Runtime;

// Death watch: Watch/Unwatch and the Terminated that follows a watched actor's stop.
internal sealed partial class ActorCell
{
    public IActorRef Watch(IActorRef subject)
    {
        if (subject is not InternalActorRef target || ReferenceEquals(target, Self)) return subject;
        if ((R.Watching ??= []).Add(subject))
            target.SendSystemMessage(new Watch(target, Self));
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        if (subject is not InternalActorRef target || ReferenceEquals(target, Self)) return subject;
        if (_rare?.Watching is { } watching && watching.Remove(subject))
            target.SendSystemMessage(new Unwatch(target, Self));
        return subject;
    }

    private void AddWatcher(InternalActorRef watchee, InternalActorRef watcher)
    {
        if (!ReferenceEquals(watchee, Self) || ReferenceEquals(watcher, Self)) return;
        (R.WatchedBy ??= []).Add(watcher);
    }

    private void RemoveWatcher(InternalActorRef watchee, InternalActorRef watcher)
    {
        if (ReferenceEquals(watchee, Self)) _rare?.WatchedBy?.Remove(watcher);
    }

    private void HandleDeathWatchNotification(DeathWatchNotification n)
    {
        if (ReferenceEquals(((InternalActorRef)n.Actor) is LocalActorRef l ? l.Cell.ParentRef : null, Self))
            ChildTerminated(n.Actor);
        // Terminated goes through the user queue, behind every message the dead actor sent
        // before it stopped (they were enqueued before its termination began).
        if (_rare?.Watching is { } watching && watching.Contains(n.Actor) && !_terminating)
            Dispatcher.Dispatch(this, new Envelope(new Terminated(n.Actor, n.ExistenceConfirmed), n.Actor));
    }

    private void ReceivedTerminated(Terminated t)
    {
        // Unwatch after the notification was queued drops it, as Akka does.
        if (_rare?.Watching is not { } watching || !watching.Remove(t.ActorRef)) return;
        ReceiveMessage(t);
    }

    private void TellWatchersWeDied()
    {
        if (_rare?.WatchedBy is not { } watchedBy) return;
        foreach (var w in watchedBy)
            if (w is InternalActorRef iw && !ReferenceEquals(iw, ParentRef))
                iw.SendSystemMessage(new DeathWatchNotification(Self, existenceConfirmed: true));
        // The parent hears once, through the child-terminated notification FinishTerminate sends.
        _rare.WatchedBy = null;
    }

    private void UnwatchWatchedActors()
    {
        if (_rare?.Watching is not { } watching) return;
        foreach (var w in watching)
            if (w is InternalActorRef iw) iw.SendSystemMessage(new Unwatch(iw, Self));
        _rare.Watching = null;
    }
}
