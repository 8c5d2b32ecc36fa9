namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// Decides which thread runs which mailbox, and when. A dispatcher is chosen per actor by
/// <see cref="Props.Dispatcher"/>, by its configuration path (e.g. <c>akka.actor.default-dispatcher</c>).
/// </summary>
public abstract class MessageDispatcher
{
    protected MessageDispatcher(string id) => Id = id;

    public string Id { get; }

    internal abstract Mailbox CreateMailbox(MailboxSettings settings);
    internal virtual void Attach(ActorCell cell) { }
    internal virtual void Detach(ActorCell cell) { }
    internal abstract void Dispatch(ActorCell cell, Envelope envelope);
    internal abstract void SystemDispatch(ActorCell cell, SystemMessage message);
    internal virtual void Shutdown() { }
    /// <summary>
    /// Puts stashed messages (oldest first) back ahead of everything queued for the actor. Thread
    /// dispatchers keep them in the cell, read before the mailbox queue; the deterministic one puts
    /// each back at the head of its sender's channel.
    /// </summary>
    internal virtual void Unstash(ActorCell cell, IReadOnlyList<Envelope> envelopes) => cell.PrependUnstashed(envelopes);
    /// <summary>The actor's mailbox was resumed outside its own run (nothing to do for thread dispatchers).</summary>
    internal virtual void OnResumed(ActorCell cell) { }
}

/// <summary>Dispatchers whose mailboxes are run by threads: the thread pool, or one pinned thread per actor.</summary>
public abstract class ThreadedDispatcher : MessageDispatcher
{
    protected ThreadedDispatcher(string id, int throughput, TimeSpan throughputDeadline) : base(id)
    {
        Throughput = throughput > 0 ? throughput : throw new ArgumentOutOfRangeException(nameof(throughput), "throughput must be positive");
        ThroughputDeadlineTicks = throughputDeadline > TimeSpan.Zero ? (long)throughputDeadline.TotalMilliseconds : 0;
    }

    /// <summary>How many user messages one actor processes before its thread moves on to another actor.</summary>
    public int Throughput { get; }
    /// <summary>Milliseconds one actor may hold a thread in one run; 0 for no limit.</summary>
    internal long ThroughputDeadlineTicks { get; }

    internal override Mailbox CreateMailbox(MailboxSettings settings)
    {
        ThreadedMailbox mbox = settings.Kind == MailboxKind.Bounded
            ? new BoundedMailbox(settings.Capacity, settings.Overflow)
            : new UnboundedMailbox();
        mbox.Dispatcher = this;
        return mbox;
    }

    internal override void Dispatch(ActorCell cell, Envelope envelope)
    {
        var mbox = (ThreadedMailbox)cell.Mailbox;
        mbox.Enqueue(cell.Self, envelope);
        // Dekker's pattern: the message is published with a release store and the status is then
        // read; without a full fence the CPU may satisfy that read before the store is visible, so
        // the sender sees "scheduled" while the running consumer, going idle, sees an empty queue —
        // and nobody schedules the message (a lost wake-up). The consumer side fences with the CAS
        // of SetAsIdle before it re-checks the queue.
        Interlocked.MemoryBarrier();
        RegisterForExecution(mbox, true, false);
    }

    internal override void SystemDispatch(ActorCell cell, SystemMessage message)
    {
        var mbox = (ThreadedMailbox)cell.Mailbox;
        mbox.SystemEnqueue(message);
        RegisterForExecution(mbox, false, true);
    }

    internal void RegisterForExecution(ThreadedMailbox mbox, bool hasMessageHint, bool hasSystemMessageHint)
    {
        if (mbox.CanBeScheduledForExecution(hasMessageHint, hasSystemMessageHint) && mbox.SetAsScheduled())
            ExecuteTask(mbox);
    }

    protected abstract void ExecuteTask(ThreadedMailbox mbox);
}

/// <summary>
/// Runs mailboxes on the .NET thread pool, through its global queue. (A worker takes its own
/// local queue newest-first: with <c>preferLocal</c> a parent that fans out to 1000 children ran
/// again after every child, with one reply each — twice the work items and half the fan-out rate,
/// with no gain on ping-pong.)
/// </summary>
public sealed class ThreadPoolDispatcher(string id, int throughput, TimeSpan throughputDeadline)
    : ThreadedDispatcher(id, throughput, throughputDeadline)
{
    protected override void ExecuteTask(ThreadedMailbox mbox) =>
        ThreadPool.UnsafeQueueUserWorkItem(mbox, preferLocal: false);
}

/// <summary>
/// One dedicated thread per actor (for actors that block, or that must not share a thread).
/// The thread sleeps on a semaphore that scheduling releases.
/// </summary>
public sealed class PinnedDispatcher(string id, int throughput) : ThreadedDispatcher(id, throughput, TimeSpan.Zero)
{
    private sealed class Runner(ThreadedMailbox mbox)
    {
        // The semaphore is the hand-off between senders' threads and the pinned thread; it is
        // the only state they share besides the mailbox itself.
        public readonly SemaphoreSlim Signal = new(0);
        public volatile bool Stopped;
        public readonly ThreadedMailbox Mailbox = mbox;

        public void Loop()
        {
            while (true)
            {
                Signal.Wait();
                if (Stopped) return;
                Mailbox.Execute();
            }
        }
    }

    internal override void Attach(ActorCell cell)
    {
        var mbox = (ThreadedMailbox)cell.Mailbox;
        var runner = new Runner(mbox);
        cell.DispatcherState = runner;
        new Thread(runner.Loop) { IsBackground = true, Name = $"pinned:{cell.Self.Path}" }.Start();
    }

    internal override void Detach(ActorCell cell)
    {
        if (cell.DispatcherState is Runner r)
        {
            r.Stopped = true;
            r.Signal.Release();
        }
    }

    protected override void ExecuteTask(ThreadedMailbox mbox)
    {
        if (mbox.Cell.DispatcherState is Runner r) r.Signal.Release();
        else ThreadPool.UnsafeQueueUserWorkItem(mbox, preferLocal: false); // before Attach completes
    }
}
