namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// An actor's mailbox: a queue of user messages, a lock-free list of system messages and a status
/// word. The status word makes the mailbox the unit of scheduling: a mailbox is scheduled at most
/// once at a time (the Scheduled bit), so at most one thread runs an actor at any moment — the
/// invariant that lets actors own their state without locks.
/// </summary>
public abstract class Mailbox
{
    // Status word: bit 0 Closed, bit 1 Scheduled, bits 2.. the suspend count.
    private const int Closed = 1;
    private const int Scheduled = 2;
    private const int SuspendUnit = 4;

    private int _status;
    private SystemMessage? _systemHead; // latest-first (Treiber stack); reversed when drained

    internal ActorCell Cell { get; private set; } = null!;

    internal virtual void SetActor(ActorCell cell) => Cell = cell;

    /// <summary>Number of user messages queued (approximate under concurrency).</summary>
    public abstract int NumberOfMessages { get; }
    public abstract bool HasMessages { get; }
    internal abstract void Enqueue(IActorRef receiver, Envelope envelope);
    internal abstract bool TryDequeue(out Envelope envelope);

    internal bool IsClosed => (Volatile.Read(ref _status) & Closed) != 0;
    internal bool IsSuspended => Volatile.Read(ref _status) >= SuspendUnit;
    internal bool IsScheduled => (Volatile.Read(ref _status) & Scheduled) != 0;
    /// <summary>Open and not suspended: user messages may be processed.</summary>
    internal bool ShouldProcessMessage => (Volatile.Read(ref _status) & ~Scheduled) == 0;
    internal bool HasSystemMessages => Volatile.Read(ref _systemHead) != null;

    internal bool CanBeScheduledForExecution(bool hasMessageHint, bool hasSystemMessageHint)
    {
        var s = Volatile.Read(ref _status);
        if ((s & Closed) != 0) return false;
        if (s < SuspendUnit) return hasMessageHint || hasSystemMessageHint || HasSystemMessages || HasMessages || Cell.HasUnstashed;
        return hasSystemMessageHint || HasSystemMessages;
    }

    internal bool SetAsScheduled()
    {
        while (true)
        {
            var s = Volatile.Read(ref _status);
            if ((s & (Closed | Scheduled)) != 0) return false;
            if (Interlocked.CompareExchange(ref _status, s | Scheduled, s) == s) return true;
        }
    }

    internal void SetAsIdle()
    {
        while (true)
        {
            var s = Volatile.Read(ref _status);
            if (Interlocked.CompareExchange(ref _status, s & ~Scheduled, s) == s) return;
        }
    }

    /// <summary>Returns true when this call moved the mailbox from running to suspended.</summary>
    internal bool Suspend()
    {
        while (true)
        {
            var s = Volatile.Read(ref _status);
            if ((s & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref _status, s + SuspendUnit, s) != s) continue;
            if (s >= SuspendUnit) return false;
            OnSuspendChanged(suspended: true);
            return true;
        }
    }

    /// <summary>Returns true when this call made the mailbox runnable again.</summary>
    internal bool Resume()
    {
        while (true)
        {
            var s = Volatile.Read(ref _status);
            if ((s & Closed) != 0) return false;
            var next = s >= SuspendUnit ? s - SuspendUnit : s;
            if (Interlocked.CompareExchange(ref _status, next, s) != s) continue;
            if (s >= SuspendUnit && next < SuspendUnit) OnSuspendChanged(suspended: false);
            return next < SuspendUnit;
        }
    }

    /// <summary>The mailbox became suspended or runnable again (for dispatchers that track runnable work).</summary>
    private protected virtual void OnSuspendChanged(bool suspended) { }

    internal void BecomeClosed()
    {
        while (true)
        {
            var s = Volatile.Read(ref _status);
            if (Interlocked.CompareExchange(ref _status, s | Closed, s) == s) return;
        }
    }

    internal void SystemEnqueue(SystemMessage message)
    {
        while (true)
        {
            var head = Volatile.Read(ref _systemHead);
            message.Next = head;
            if (Interlocked.CompareExchange(ref _systemHead, message, head) == head) return;
        }
    }

    /// <summary>Takes every pending system message, oldest first.</summary>
    internal SystemMessage? SystemDrain()
    {
        var head = Interlocked.Exchange(ref _systemHead, null);
        SystemMessage? reversed = null;
        while (head != null)
        {
            var next = head.Next;
            head.Next = reversed;
            reversed = head;
            head = next;
        }
        return reversed;
    }

    /// <summary>Processes pending system messages; they run even when the mailbox is suspended.</summary>
    internal void ProcessAllSystemMessages()
    {
        if (Volatile.Read(ref _systemHead) == null) return; // the common case: no atomic exchange
        var msg = SystemDrain();
        while (msg != null && !IsClosed)
        {
            var next = msg.Next;
            msg.Next = null;
            Cell.SystemInvoke(msg);
            msg = next;
            if (msg == null) msg = SystemDrain();
        }
        // Left over after close: watch requests still get their answer, the rest is dropped.
        while (msg != null)
        {
            var next = msg.Next;
            msg.Next = null;
            Cell.System.DeadLetterSystemMessage(Cell.Self, msg);
            msg = next;
        }
    }

    /// <summary>After the actor stopped: every queued user message becomes a dead letter.</summary>
    internal void CleanUp()
    {
        var deadLetters = Cell.System.DeadLettersRef;
        while (TryDequeue(out var env))
            deadLetters.Tell(new DeadLetter(env.Message, env.Sender, Cell.Self), env.Sender);
        var sys = SystemDrain();
        while (sys != null)
        {
            var next = sys.Next;
            sys.Next = null;
            Cell.System.DeadLetterSystemMessage(Cell.Self, sys);
            sys = next;
        }
    }
}
