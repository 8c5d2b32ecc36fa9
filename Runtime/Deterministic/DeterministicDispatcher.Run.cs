namespace IommuSim.Runtime.Deterministic;

// The run loop: single step, run until idle or quiescent, run for a span of virtual time, run
// until a condition holds.
public sealed partial class DeterministicDispatcher
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;
    private Type? _lastType;
    private ulong _lastTypeHash;
    private readonly Dictionary<Type, ulong> _typeHashes = [];

    /// <summary>Delivers one user message (after all pending system messages). False when nothing is runnable.</summary>
    public bool Step()
    {
        Enter();
        try
        {
            return StepCore();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Delivers until no message is runnable, without moving the clock. Returns the deliveries made.</summary>
    public long RunUntilIdle() => Run(advanceTime: false, until: null, deadline: long.MaxValue);

    /// <summary>
    /// Delivers until no message is runnable and no timer is pending, moving the clock to each
    /// next timer when idle. Stops at <paramref name="maxVirtualTime"/> from now if given (a
    /// periodic timer never lets a system become quiescent).
    /// </summary>
    public long RunUntilQuiescent(TimeSpan? maxVirtualTime = null) =>
        Run(advanceTime: true, until: null, deadline: maxVirtualTime is { } m ? Clock.NowTicks + m.Ticks : long.MaxValue);

    /// <summary>Runs for a span of virtual time: everything due before the end happens; the clock ends at now + duration.</summary>
    public long RunFor(TimeSpan duration)
    {
        var deadline = Clock.NowTicks + Math.Max(0, duration.Ticks);
        var steps = Run(advanceTime: true, until: null, deadline: deadline);
        Enter();
        try { Clock.AdvanceTo(deadline); }
        finally { Exit(); }
        return steps + RunUntilIdle();
    }

    /// <summary>
    /// Delivers until <paramref name="condition"/> holds (checked before each step), moving the
    /// clock when idle but not past <paramref name="timeout"/> from now. Returns whether it held.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Clock.NowTicks + timeout.Ticks;
        Run(advanceTime: true, until: condition, deadline: deadline);
        if (condition()) return true;
        if (deadline != long.MaxValue)
        {
            Enter();
            try { Clock.AdvanceTo(deadline); }
            finally { Exit(); }
        }
        RunUntilIdle();
        return condition();
    }

    private long Run(bool advanceTime, Func<bool>? until, long deadline)
    {
        Enter();
        var start = Steps;
        try
        {
            while (true)
            {
                if (until != null && until()) break;
                if (Steps - start >= Settings.MaxSteps)
                    throw new InvalidOperationException(
                        $"deterministic run stopped after {Settings.MaxSteps} deliveries without becoming quiescent (a livelock, or raise max-steps)");
                if (StepCore()) continue;
                if (!advanceTime) break;
                var next = Clock.NextDue;
                if (next is not { } due || due.Ticks > deadline) break;
                Clock.AdvanceTo(due.Ticks);
            }
            return Steps - start;
        }
        finally
        {
            Exit();
        }
    }

    private void Enter()
    {
        var me = Environment.CurrentManagedThreadId;
        var owner = Interlocked.CompareExchange(ref _loopThread, me, 0);
        if (owner == me) throw new InvalidOperationException("The deterministic dispatcher cannot be run from inside one of its own actors");
        if (owner != 0) throw new InvalidOperationException("The deterministic dispatcher is already running on another thread");
    }

    private void Exit() => Volatile.Write(ref _loopThread, 0);

    private void DrainInbox()
    {
        while (_inbox.TryDequeue(out var item))
        {
            if (item.System != null) _systemQueue.Enqueue((item.Cell, item.System));
            else Dispatch(item.Cell, item.Envelope);
        }
    }

    private void ProcessSystemMessages()
    {
        while (_systemQueue.TryDequeue(out var item))
        {
            SystemSteps++;
            if (item.Cell.Mailbox.IsClosed) _system.DeadLetterSystemMessage(item.Cell.Self, item.Message);
            else item.Cell.SystemInvoke(item.Message);
        }
    }

    private bool StepCore()
    {
        if (!_inbox.IsEmpty) DrainInbox();
        ProcessSystemMessages();

        var runnable = _enabled;
        if (SuspendedMailboxes > 0)
        {
            _runnable.Clear();
            foreach (var c in _enabled)
                if (c.Receiver.Mailbox.ShouldProcessMessage) _runnable.Add(c);
            runnable = _runnable;
        }
        var count = runnable.Count;
        if (count == 0) return false;

        var choice = count == 1 && Strategy is not ReplayStrategy ? 0 : Strategy.Choose(runnable, Steps);
        Recorded?.Add(choice);
        var channel = runnable[choice];
        channel.TryTake(out var envelope);
        ((DeterministicMailbox)channel.Receiver.Mailbox).Removed();
        if (channel.Count == 0) Disable(channel);

        var cell = channel.Receiver;
        var h = TraceHash;
        h = (h ^ (ulong)cell.Self.Path.Uid) * FnvPrime;
        h = (h ^ (ulong)(envelope.Sender?.Path.Uid ?? 0)) * FnvPrime;
        h = (h ^ TypeHash(envelope.Message.GetType())) * FnvPrime;
        TraceHash = h;
        var step = Steps++;

        cell.Invoke(envelope);
        OnDelivery?.Invoke(new Delivery(step, Clock.Now, cell.Self, envelope.Sender, envelope.Message, choice, count));
        ProcessSystemMessages();
        return true;
    }

    /// <summary>FNV-1a of the type's full name: stable across processes, unlike Type.GetHashCode.</summary>
    private ulong TypeHash(Type type)
    {
        if (ReferenceEquals(type, _lastType)) return _lastTypeHash;
        if (!_typeHashes.TryGetValue(type, out var h))
        {
            h = FnvOffset;
            foreach (var ch in type.FullName ?? type.Name) h = (h ^ ch) * FnvPrime;
            _typeHashes[type] = h;
        }
        _lastType = type;
        _lastTypeHash = h;
        return h;
    }
}
