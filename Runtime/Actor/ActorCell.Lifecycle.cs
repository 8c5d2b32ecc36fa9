namespace IommuSim.Runtime;

// Creation, failure, restart and termination of one actor
// (the life cycle of Akka's ActorCell: FaultHandling and Dispatch).
internal sealed partial class ActorCell
{
    private ActorBase NewActorInstance()
    {
        _actor = null;
        // ActorBase's constructor binds itself to ActorCell.Current, which SystemInvoke set to this cell.
        var instance = Props.NewActor();
        if (!ReferenceEquals(_actor, instance))
            throw new ActorException($"Props for {Self.Path} produced an actor bound to another context; the factory must create a new instance.");
        ResetBehavior();
        return instance;
    }

    private void CreateActor()
    {
        try
        {
            var actor = NewActorInstance();
            actor.AroundPreStart();
        }
        catch (Exception e)
        {
            _actor = null;
            _behavior = null;
            throw new ActorInitializationException(Self, $"Exception during creation of {Self.Path}", e);
        }
    }

    /// <summary>
    /// The actor threw: suspend it and its children and let the parent decide. The failing
    /// message is not redelivered.
    /// </summary>
    private void HandleInvokeFailure(Exception cause)
    {
        if (_terminating || _terminated)
        {
            System.Log.Error(cause, $"{Self.Path} failed while stopping");
            return;
        }
        if (_rare?.Failure != null) return; // already waiting for a decision
        R.Failure = cause;                   // cleared by Resume or Recreate
        R.FailedMessage = _currentEnvelope.Message; // for PreRestart
        Mailbox.Suspend();
        SuspendChildren();
        var actorName = _actor?.GetType().Name ?? "actor";
        System.Log.Debug($"{Self.Path} ({actorName}) failed: {cause.GetType().Name}: {cause.Message}");
        ParentRef.SendSystemMessage(new Failed(Self, cause, Self.Path.Uid));
    }

    private void SuspendCell()
    {
        Mailbox.Suspend();
        SuspendChildren();
    }

    private void ResumeCell(Exception? causedByFailure)
    {
        if (causedByFailure != null && _rare != null)
        {
            _rare.Failure = null;
            _rare.FailedMessage = null;
        }
        if (_pendingAsync == 0) Mailbox.Resume();
        ResumeChildren();
        Dispatcher.OnResumed(this);
    }

    /// <summary>The supervisor chose Restart: PreRestart on the old instance, a new instance, PostRestart.</summary>
    private void FaultRecreate(Exception cause)
    {
        if (_terminating) return;
        var failedActor = _actor;
        if (failedActor != null)
        {
            CancelReceiveTimeout();
            _rare?.Timers?.CancelAll();
            try
            {
                failedActor.AroundPreRestart(cause, _rare?.FailedMessage);
            }
            catch (Exception e)
            {
                System.Log.Error(e, $"{Self.Path}: PreRestart threw; restarting anyway");
            }
            UnstashAllForRestart();
        }
        R.PendingRecreate = cause; // the restart waits for children that PreRestart stopped
        if (!HasTerminatingChildren) FinishRecreate();
    }

    private void FinishRecreate()
    {
        var rare = R;
        var cause = rare.PendingRecreate!;
        rare.PendingRecreate = null;
        rare.Failure = null;
        rare.FailedMessage = null;
        _pendingAsync = 0;
        try
        {
            var fresh = NewActorInstance();
            fresh.AroundPostRestart(cause);
        }
        catch (Exception e)
        {
            _actor = null;
            _behavior = null;
            HandleInvokeFailure(new PostRestartException(Self, e));
            return;
        }
        Mailbox.Resume();
        ResumeChildren();
        Dispatcher.OnResumed(this);
    }

    /// <summary>Stop: children first, then PostStop, then the watchers and the parent are told.</summary>
    private void TerminateCell()
    {
        if (_terminating) return;
        _terminating = true;
        CancelReceiveTimeout();
        _rare?.Timers?.CancelAll();
        Mailbox.Suspend();
        if (StopAllChildren() == 0) FinishTerminate();
    }

    private void FinishTerminate()
    {
        var actor = _actor;
        try
        {
            if (actor != null && _rare?.Failure is not ActorInitializationException) actor.AroundPostStop();
        }
        catch (Exception e)
        {
            System.Log.Error(e, $"{Self.Path}: PostStop threw");
        }
        finally
        {
            _terminated = true;
            Mailbox.BecomeClosed();
            Dispatcher.Detach(this);
            DropStash();
            Mailbox.CleanUp();
            TellWatchersWeDied();
            UnwatchWatchedActors();
            ParentRef.SendSystemMessage(new DeathWatchNotification(Self, existenceConfirmed: true));
            _actor = null;
            _behavior = null;
            _rare = null;
            _currentEnvelope = default;
        }
    }

    public void Stop(IActorRef child)
    {
        if (child is not InternalActorRef target) return;
        if (!ReferenceEquals(target, Self)) MarkChildTerminating(target);
        target.SendSystemMessage(new Terminate());
    }
}
