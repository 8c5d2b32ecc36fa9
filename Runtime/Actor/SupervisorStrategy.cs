namespace IommuSim.Runtime;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the actor and its state; continue with the next message.</summary>
    Resume,
    /// <summary>Replace the instance (PreRestart, new instance, PostRestart); the mailbox is kept.</summary>
    Restart,
    Stop,
    /// <summary>Fail the supervisor itself with the same cause.</summary>
    Escalate,
}

/// <summary>
/// Decides, per failure, what happens to the failed child (one-for-one) or to all children
/// (all-for-one), within a limit of restarts per time window.
/// </summary>
public abstract class SupervisorStrategy
{
    protected SupervisorStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
    {
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange is { } w && (w == Timeout.InfiniteTimeSpan || w <= TimeSpan.Zero) ? null : withinTimeRange;
        Decider = decider ?? throw new ArgumentNullException(nameof(decider));
    }

    /// <summary>-1 for unlimited; 0 never restarts (the child is stopped instead).</summary>
    public int MaxNrOfRetries { get; }
    /// <summary>null for no window: retries are counted over the child's life.</summary>
    public TimeSpan? WithinTimeRange { get; }
    public Func<Exception, Directive> Decider { get; }

    /// <summary>Stop on initialization failure, Kill and death pact; restart on anything else (Akka's default).</summary>
    public static Directive DefaultDecider(Exception e) => e switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(-1, null, DefaultDecider);

    /// <summary>Stops any failed child: what the user guardian does when configured so.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(-1, null, _ => Directive.Stop);

    /// <summary>Applies the decision; returns false to escalate.</summary>
    internal bool HandleFailure(ActorCell cell, IActorRef child, Exception cause, ChildRestartStats stats)
    {
        var directive = Decider(cause);
        switch (directive)
        {
            case Directive.Resume:
                cell.ResumeChild(child, cause);
                return true;
            case Directive.Restart:
                ProcessFailure(cell, restart: true, child, cause, stats, cell.System.Scheduler.Now);
                return true;
            case Directive.Stop:
                ProcessFailure(cell, restart: false, child, cause, stats, cell.System.Scheduler.Now);
                return true;
            default:
                return false;
        }
    }

    internal abstract void ProcessFailure(ActorCell cell, bool restart, IActorRef child, Exception cause, ChildRestartStats stats, TimeSpan now);
}

/// <summary>The decision applies to the failed child only.</summary>
public sealed class OneForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
    : SupervisorStrategy(maxNrOfRetries, withinTimeRange, decider)
{
    public OneForOneStrategy(Func<Exception, Directive> decider) : this(-1, null, decider) { }

    internal override void ProcessFailure(ActorCell cell, bool restart, IActorRef child, Exception cause, ChildRestartStats stats, TimeSpan now)
    {
        if (restart && stats.RequestRestartPermission(MaxNrOfRetries, WithinTimeRange, now))
            cell.RestartChild(child, cause, suspendFirst: false);
        else
            cell.Stop(child);
    }
}

/// <summary>The decision applies to every child of the supervisor (siblings are restarted or stopped too).</summary>
public sealed class AllForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
    : SupervisorStrategy(maxNrOfRetries, withinTimeRange, decider)
{
    public AllForOneStrategy(Func<Exception, Directive> decider) : this(-1, null, decider) { }

    internal override void ProcessFailure(ActorCell cell, bool restart, IActorRef child, Exception cause, ChildRestartStats stats, TimeSpan now)
    {
        var children = cell.ChildStatsSnapshot();
        if (restart && children.TrueForAll(c => c.RequestRestartPermission(MaxNrOfRetries, WithinTimeRange, now)))
        {
            foreach (var c in children)
                cell.RestartChild(c.Child, cause, suspendFirst: !c.Child.Equals(child));
        }
        else
        {
            foreach (var c in children) cell.Stop(c.Child);
        }
    }
}
