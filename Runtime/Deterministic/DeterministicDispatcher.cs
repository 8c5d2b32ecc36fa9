using System.Collections.Concurrent;
using IommuSim.Runtime.Dispatch;
using IommuSim.Runtime.Scheduling;

namespace IommuSim.Runtime.Deterministic;

/// <summary>
/// Runs every actor of a system on the caller's thread, one delivery at a time, choosing the next
/// delivery with a seeded strategy among the runnable (receiver, sender) channels. System messages
/// are processed in send order before each choice. Time is virtual: timers fire only when nothing
/// is runnable (or when a run advances the clock), so timeouts cost no real time. The same seed,
/// or the recorded schedule, gives the same sequence of deliveries and so the same
/// <see cref="TraceHash"/>.
/// </summary>
public sealed partial class DeterministicDispatcher : MessageDispatcher
{
    private readonly ActorSystem _system;
    private readonly List<Channel> _enabled = [];
    private readonly List<Channel> _runnable = [];
    private readonly Queue<(ActorCell Cell, SystemMessage Message)> _systemQueue = new();
    // Sends from threads other than the one running the loop (a test thread between runs) are
    // queued here and folded in, in arrival order, at the start of the next step.
    private readonly ConcurrentQueue<(ActorCell Cell, Envelope Envelope, SystemMessage? System)> _inbox = new();
    private int _loopThread;
    private long _nextChannelId;

    internal DeterministicDispatcher(string id, ActorSystem system, DeterministicSettings settings) : base(id)
    {
        _system = system;
        Settings = settings;
        Strategy = settings.CreateStrategy();
        Recorded = settings.RecordSchedule ? new Schedule() : null;
        Clock = new VirtualTimeScheduler();
    }

    public DeterministicSettings Settings { get; }
    public SchedulingStrategy Strategy { get; private set; }
    public VirtualTimeScheduler Clock { get; }
    /// <summary>User-message deliveries so far.</summary>
    public long Steps { get; private set; }
    /// <summary>System messages processed so far.</summary>
    public long SystemSteps { get; private set; }
    /// <summary>FNV-1a over every delivery's (receiver uid, sender uid, message type).</summary>
    public ulong TraceHash { get; private set; } = FnvOffset;
    /// <summary>The choices made so far (null when recording is off).</summary>
    public Schedule? Recorded { get; }
    /// <summary>Called after each user-message delivery, for trace sinks.</summary>
    public Action<Delivery>? OnDelivery { get; set; }

    /// <summary>Replaces the strategy, e.g. with a <see cref="ReplayStrategy"/>, before the run starts.</summary>
    public void UseStrategy(SchedulingStrategy strategy)
    {
        if (Steps > 0) throw new InvalidOperationException("The strategy can only be replaced before the first delivery");
        Strategy = strategy;
        foreach (var c in _enabled) strategy.OnChannelCreated(c);
    }

    public int RunnableChannels => _enabled.Count;

    /// <summary>
    /// Mailboxes suspended (failed, stopping, or awaiting an async receive). Only while some are
    /// does a step filter the enabled channels; otherwise it chooses among them directly, in O(1)
    /// for the random strategy however many channels are enabled.
    /// </summary>
    internal int SuspendedMailboxes { get; set; }

    // ---- wiring from the actor runtime ---------------------------------------------------

    internal override Mailbox CreateMailbox(MailboxSettings settings) => new DeterministicMailbox(this);

    private bool OnLoopThread => _loopThread == Environment.CurrentManagedThreadId;

    internal override void Dispatch(ActorCell cell, Envelope envelope)
    {
        if (!OnLoopThread)
        {
            _inbox.Enqueue((cell, envelope, null));
            return;
        }
        if (cell.Mailbox.IsClosed)
        {
            _system.PublishDeadLetter(envelope, cell.Self);
            return;
        }
        var mbox = (DeterministicMailbox)cell.Mailbox;
        var channel = mbox.ChannelFor(envelope.Sender?.Path.Uid ?? 0);
        channel.Enqueue(envelope);
        mbox.Added();
        Enable(channel);
    }

    internal override void SystemDispatch(ActorCell cell, SystemMessage message)
    {
        if (!OnLoopThread) _inbox.Enqueue((cell, default, message));
        else _systemQueue.Enqueue((cell, message));
    }

    internal override void Detach(ActorCell cell) => ((DeterministicMailbox)cell.Mailbox).DisableAll();

    /// <summary>Each unstashed message goes back to the head of its sender's channel, oldest first.</summary>
    internal override void Unstash(ActorCell cell, IReadOnlyList<Envelope> envelopes)
    {
        var mbox = (DeterministicMailbox)cell.Mailbox;
        for (var i = envelopes.Count - 1; i >= 0; i--)
        {
            var channel = mbox.ChannelFor(envelopes[i].Sender?.Path.Uid ?? 0);
            channel.PushFront(envelopes[i]);
            mbox.Added();
            Enable(channel);
        }
    }

    internal Channel NewChannel(ActorCell receiver, long senderUid)
    {
        var c = new Channel(receiver, senderUid, _nextChannelId++);
        Strategy.OnChannelCreated(c);
        return c;
    }

    private void Enable(Channel c)
    {
        if (c.EnabledIndex >= 0) return;
        c.EnabledIndex = _enabled.Count;
        _enabled.Add(c);
    }

    internal void Disable(Channel c)
    {
        var i = c.EnabledIndex;
        if (i < 0) return;
        var last = _enabled[^1];
        _enabled[i] = last;
        last.EnabledIndex = i;
        _enabled.RemoveAt(_enabled.Count - 1);
        c.EnabledIndex = -1;
    }

    /// <summary>Adds simulated time for work the current delivery models (the cost model); timers due meanwhile fire at the next idle point.</summary>
    public void Charge(TimeSpan cost) => Clock.Charge(cost.Ticks);
}

/// <summary>One delivery of the deterministic dispatcher, as a trace sink sees it.</summary>
public readonly record struct Delivery(long Step, TimeSpan Time, IActorRef Receiver, IActorRef? Sender, object Message, int Choice, int Runnable);
