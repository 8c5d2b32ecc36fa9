namespace IommuSim.Runtime;

// The parent's side of a child's failure.
internal sealed partial class ActorCell
{
    private void HandleFailed(Failed f)
    {
        var stats = ChildStats(f.Child);
        if (stats == null || f.Uid != f.Child.Path.Uid) return; // a child that has gone since
        var strategy = Props.SupervisorStrategy ?? _actor?.AroundSupervisorStrategy() ?? SupervisorStrategy.DefaultStrategy;
        // Escalate: this actor fails with the child's own exception, so that the next supervisor's
        // decider sees the original cause (as Akka.NET escalates).
        if (!strategy.HandleFailure(this, f.Child, f.Cause, stats))
            HandleInvokeFailure(f.Cause);
    }

    internal void ResumeChild(IActorRef child, Exception cause) =>
        ((InternalActorRef)child).SendSystemMessage(new Resume(cause));

    internal void RestartChild(IActorRef child, Exception cause, bool suspendFirst)
    {
        var target = (InternalActorRef)child;
        if (suspendFirst) target.SendSystemMessage(new Suspend());
        target.SendSystemMessage(new Recreate(cause));
    }
}
