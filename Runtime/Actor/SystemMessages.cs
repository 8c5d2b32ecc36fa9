namespace IommuSim.Runtime;

/// <summary>
/// Messages the runtime sends between cells. They travel in a separate per-mailbox list and are
/// processed before user messages, even while the mailbox is suspended. <see cref="Next"/> links
/// them into that lock-free list, so a system message is enqueued at most once.
/// </summary>
internal abstract class SystemMessage
{
    internal SystemMessage? Next;
}

internal sealed class Create : SystemMessage
{
    public static Create Instance => new();
}

internal sealed class Terminate : SystemMessage;

internal sealed class Suspend : SystemMessage;

internal sealed class Resume(Exception? causedByFailure) : SystemMessage
{
    public Exception? CausedByFailure { get; } = causedByFailure;
}

internal sealed class Recreate(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

internal sealed class Watch(InternalActorRef watchee, InternalActorRef watcher) : SystemMessage
{
    public InternalActorRef Watchee { get; } = watchee;
    public InternalActorRef Watcher { get; } = watcher;
}

internal sealed class Unwatch(InternalActorRef watchee, InternalActorRef watcher) : SystemMessage
{
    public InternalActorRef Watchee { get; } = watchee;
    public InternalActorRef Watcher { get; } = watcher;
}

internal sealed class DeathWatchNotification(IActorRef actor, bool existenceConfirmed) : SystemMessage
{
    public IActorRef Actor { get; } = actor;
    public bool ExistenceConfirmed { get; } = existenceConfirmed;
}

/// <summary>A child failed: its supervisor (the receiver) decides.</summary>
internal sealed class Failed(IActorRef child, Exception cause, long uid) : SystemMessage
{
    public IActorRef Child { get; } = child;
    public Exception Cause { get; } = cause;
    public long Uid { get; } = uid;
}

/// <summary>A continuation of an async receive, run in the actor's context.</summary>
internal sealed class RunContinuation(SendOrPostCallback callback, object? state) : SystemMessage
{
    public SendOrPostCallback Callback { get; } = callback;
    public object? State { get; } = state;
}

/// <summary>The task of an async receive completed: resume the mailbox, or fail if it faulted.</summary>
internal sealed class AsyncReceiveCompleted(Exception? failure) : SystemMessage
{
    public Exception? Failure { get; } = failure;
}
