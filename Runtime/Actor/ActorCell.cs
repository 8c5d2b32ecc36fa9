using IommuSim.Runtime.Dispatch;
using IommuSim.Runtime.Event;

namespace IommuSim.Runtime;

/// <summary>
/// The runtime side of one actor: its mailbox, current behaviour, children, watchers and
/// supervision state. Everything here is touched only by the thread that currently runs the
/// mailbox (at most one at a time), except where a member says otherwise.
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    [ThreadStatic] private static ActorCell? _current;

    private ActorBase? _actor;
    private Receive? _behavior;   // null: the actor's own Receive (no delegate kept per actor)
    private Envelope _currentEnvelope;
    private bool _terminating;
    private volatile bool _terminated;
    private int _pendingAsync;
    private Rare? _rare;

    /// <summary>
    /// State most actors never use (become stacks, watchers, timers, stash, failure bookkeeping),
    /// allocated on first use so that an idle actor stays small.
    /// </summary>
    private sealed class Rare
    {
        public Stack<Receive>? BehaviorStack;
        public ILoggingAdapter? Log;
        public object? DispatcherState;
        public Exception? Failure;
        public object? FailedMessage;
        public Exception? PendingRecreate;
        public HashSet<IActorRef>? TerminatingChildren;
        public Dictionary<IActorRef, ChildRestartStats>? RestartStats;
        public long NextChildName;
        public HashSet<IActorRef>? Watching;
        public HashSet<IActorRef>? WatchedBy;
        public TimeSpan? ReceiveTimeout;
        public ICancelable? ReceiveTimeoutTask;
        public long ReceiveTimeoutGeneration;
        public TimerScheduler? Timers;
        public IStash? Stash;
        public LinkedList<Envelope>? Unstashed;
    }

    private Rare R => _rare ??= new Rare();

    public ActorCell(ActorSystem system, InternalActorRef parent, Props props, MessageDispatcher dispatcher, Mailbox mailbox, ActorPath path)
    {
        System = system;
        ParentRef = parent;
        Props = props;
        Dispatcher = dispatcher;
        Mailbox = mailbox;
        Self = new LocalActorRef(this, path);
        mailbox.SetActor(this);
    }

    /// <summary>The cell whose message is being processed on this thread, if any.</summary>
    internal static ActorCell? Current => _current;

    public ActorSystem System { get; }
    public LocalActorRef Self { get; }
    IActorRef IActorContext.Self => Self;
    internal InternalActorRef ParentRef { get; }
    public IActorRef Parent => ParentRef;
    public Props Props { get; }
    internal MessageDispatcher Dispatcher { get; }
    internal Mailbox Mailbox { get; }
    /// <summary>Per-actor data of the dispatcher (the pinned dispatcher's thread).</summary>
    internal object? DispatcherState
    {
        get => _rare?.DispatcherState;
        set => R.DispatcherState = value;
    }
    internal ActorBase? Actor => _actor;
    internal bool IsTerminated => _terminated;
    public IActorRef Sender => _currentEnvelope.Sender ?? System.DeadLettersRef;
    internal Envelope CurrentEnvelope => _currentEnvelope;

    public ILoggingAdapter Log => R.Log ??= System.Logging.For(Self.Path.ToString(), _actor?.GetType());

    internal void BindActor(ActorBase actor) => _actor = actor;

    // ---- sending -------------------------------------------------------------------------

    internal void SendMessage(Envelope envelope)
    {
        if (Mailbox.IsClosed)
        {
            System.PublishDeadLetter(envelope, Self);
            return;
        }
        Dispatcher.Dispatch(this, envelope);
        // The actor may have closed its mailbox between the check and the enqueue: what is left
        // in a closed mailbox becomes a dead letter instead of waiting forever.
        if (Mailbox.IsClosed) Mailbox.CleanUp();
    }

    internal void SendSystemMessage(SystemMessage message)
    {
        if (Mailbox.IsClosed)
        {
            System.DeadLetterSystemMessage(Self, message);
            return;
        }
        Dispatcher.SystemDispatch(this, message);
    }

    // ---- processing ----------------------------------------------------------------------

    internal bool TryDequeueNext(out Envelope envelope) =>
        TryDequeueUnstashed(out envelope) || Mailbox.TryDequeue(out envelope);

    /// <summary>Runs one user message through the actor. Called by the dispatcher only.</summary>
    internal void Invoke(Envelope envelope)
    {
        var previous = _current;
        _current = this;
        _currentEnvelope = envelope;
        try
        {
            var message = envelope.Message;
            switch (message)
            {
                case PoisonPill:
                    Stop(Self);
                    break;
                case Kill:
                    throw new ActorKilledException("Kill");
                case Identify identify:
                    Sender.Tell(new ActorIdentity(identify.MessageId, Self), Self);
                    break;
                case Terminated terminated:
                    ReceivedTerminated(terminated);
                    break;
                case ReceiveTimeoutTick tick:
                    ReceivedTimeoutTick(tick);
                    break;
                case TimerScheduler.TimerMessage timer:
                    ReceivedTimer(timer);
                    break;
                default:
                    ReceiveMessage(message);
                    break;
            }
            if (_rare?.ReceiveTimeout != null && message is not INotInfluenceReceiveTimeout)
                RescheduleReceiveTimeout();
        }
        catch (Exception e)
        {
            HandleInvokeFailure(e);
        }
        finally
        {
            if (_pendingAsync == 0) _currentEnvelope = default;
            _current = previous;
        }
    }

    private void ReceiveMessage(object message)
    {
        var actor = _actor;
        if (actor == null) return; // terminated while the message was in flight
        var handled = _behavior is { } behavior ? behavior(message) : actor.AroundReceive(message);
        if (!handled) actor.InvokeUnhandled(message);
    }

    /// <summary>Runs one system message. Called by the dispatcher only; runs even while suspended.</summary>
    internal void SystemInvoke(SystemMessage message)
    {
        var previous = _current;
        _current = this;
        try
        {
            switch (message)
            {
                case Create: CreateActor(); break;
                case Terminate: TerminateCell(); break;
                case Watch w: AddWatcher(w.Watchee, w.Watcher); break;
                case Unwatch u: RemoveWatcher(u.Watchee, u.Watcher); break;
                case DeathWatchNotification d: HandleDeathWatchNotification(d); break;
                case Failed f: HandleFailed(f); break;
                case Suspend: SuspendCell(); break;
                case Resume r: ResumeCell(r.CausedByFailure); break;
                case Recreate r: FaultRecreate(r.Cause); break;
                case RunContinuation rc: RunContinuationInContext(rc); break;
                case AsyncReceiveCompleted a: CompleteAsyncReceive(a.Failure); break;
            }
        }
        catch (Exception e)
        {
            HandleInvokeFailure(e);
        }
        finally
        {
            _current = previous;
        }
    }

    // ---- behaviour -----------------------------------------------------------------------

    public void Become(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        var stack = R.BehaviorStack ??= new Stack<Receive>();
        if (stack.Count > 0) stack.Pop();
        stack.Push(receive);
        _behavior = receive;
    }

    public void BecomeStacked(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        (R.BehaviorStack ??= new Stack<Receive>()).Push(receive);
        _behavior = receive;
    }

    public void UnbecomeStacked()
    {
        var stack = _rare?.BehaviorStack;
        if (stack is { Count: > 0 }) stack.Pop();
        // An empty stack means the actor's initial behaviour (a null delegate).
        _behavior = stack is { Count: > 0 } ? stack.Peek() : null;
    }

    private void ResetBehavior()
    {
        _rare?.BehaviorStack?.Clear();
        _behavior = null;
    }

    public override string ToString() => $"ActorCell({Self.Path})";
}
