namespace IommuSim.Runtime;

/// <summary>
/// Request-reply from outside (or inside) an actor. The reply target is a temporary reference
/// that is registered nowhere: once the reply, the timeout or the cancellation completes the
/// task, later messages to it become dead letters and the garbage collector reclaims it, so an
/// Ask can never leak its reply target.
/// </summary>
public static class AskExtensions
{
    public static Task<T> Ask<T>(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var system = (target as LocalActorRef)?.Cell.System ?? ActorCell.Current?.System
            ?? throw new ArgumentException($"Ask needs a local actor reference, got {target}", nameof(target));
        return Ask<T>(system, target, message, timeout ?? system.Settings.AskTimeout, cancellationToken);
    }

    public static Task<object> Ask(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        target.Ask<object>(message, timeout, cancellationToken);

    internal static Task<T> Ask<T>(ActorSystem system, ICanTell target, object message, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
            return Task.FromException<T>(new ArgumentOutOfRangeException(nameof(timeout), $"Ask timeout must be positive, got {t}"));
        var promise = new PromiseActorRef<T>(system, target, message.GetType());
        if (timeout is { } to && to != Timeout.InfiniteTimeSpan)
            promise.Timer = system.Scheduler.ScheduleOnce(to, promise.OnTimeout);
        if (cancellationToken.CanBeCanceled)
            promise.Registration = cancellationToken.Register(static p => ((PromiseActorRef<T>)p!).OnCancel(), promise);
        target.Tell(message, promise);
        return promise.Task;
    }
}

internal sealed class PromiseActorRef<T> : InternalActorRef
{
    private readonly ActorSystem _system;
    private readonly ICanTell _target;
    private readonly Type _questionType;
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completed;

    public PromiseActorRef(ActorSystem system, ICanTell target, Type questionType)
    {
        _system = system;
        _target = target;
        _questionType = questionType;
        system.OnAskStarted();
    }

    // Built on first use only: most reply targets are never asked for their path.
    private ActorPath? _path;
    public override ActorPath Path => _path ??= _system.TempPath();
    public Task<T> Task => _tcs.Task;
    public ICancelable? Timer { get; set; }
    public CancellationTokenRegistration Registration { get; set; }

    public override void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TryComplete())
        {
            _system.DeadLettersRef.Tell(new DeadLetter(message, sender, this), sender);
            return;
        }
        switch (message)
        {
            case T value:
                _tcs.SetResult(value);
                break;
            case Status.Failure failure:
                _tcs.SetException(failure.Cause);
                break;
            default:
                _tcs.SetException(new InvalidCastException(
                    $"Ask of {_questionType.Name} to {_target} expected a reply of type {typeof(T).Name}, got {message.GetType().Name}: {message}"));
                break;
        }
    }

    public void OnTimeout()
    {
        if (TryComplete())
            _tcs.SetException(new AskTimeoutException($"Ask of {_questionType.Name} to {_target} timed out"));
    }

    public void OnCancel()
    {
        if (TryComplete()) _tcs.SetCanceled();
    }

    private bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        Timer?.Cancel();
        Registration.Dispose();
        _system.OnAskCompleted();
        return true;
    }

    internal override void SendSystemMessage(SystemMessage message) => _system.DeadLetterSystemMessage(this, message);
    internal override bool IsTerminated => Volatile.Read(ref _completed) != 0;
}
