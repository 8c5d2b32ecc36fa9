namespace IommuSim.Runtime;

// Children: creation, naming, and the bookkeeping that termination and restart wait on.
internal sealed partial class ActorCell
{
    // Children are reserved by ActorOf, which for top-level actors runs on the caller's thread
    // while the guardian may be processing on another; the container is a name registry guarded
    // by its own lock, never held across user code or while sending.
    private readonly object _childrenLock = new();
    private Dictionary<string, ChildRestartStats>? _children;
    private HashSet<IActorRef>? _terminatingChildren;
    private long _nextChildName;

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name != null && !ActorPath.IsValidName(name))
            throw new InvalidActorNameException($"Invalid actor name '{name}': names must be non-empty, not start with '$', and use only letters, digits and -_.*$+:@&=,!~';()");
        var dispatcher = System.Dispatchers.Lookup(props.Dispatcher);
        var mailboxSettings = System.Mailboxes.Lookup(props.Mailbox);
        var uid = System.NextUid();
        ActorCell child;
        lock (_childrenLock)
        {
            if (_terminating || _terminated)
                throw new InvalidOperationException($"Cannot create a child of {Self.Path}: it is stopping");
            name ??= "$" + EncodeName(_nextChildName++);
            _children ??= new Dictionary<string, ChildRestartStats>(StringComparer.Ordinal);
            if (_children.ContainsKey(name))
                throw new InvalidActorNameException($"Actor name '{name}' is not unique under {Self.Path}");
            var mailbox = dispatcher.CreateMailbox(mailboxSettings);
            child = new ActorCell(System, Self, props, dispatcher, mailbox, Self.Path.Child(name, uid));
            _children[name] = new ChildRestartStats(child.Self);
        }
        dispatcher.Attach(child);
        child.SendSystemMessage(new Create());
        return child.Self;
    }

    /// <summary>Short base-32 names ($a, $b, ..., $ba) as Akka generates for unnamed actors.</summary>
    private static string EncodeName(long n)
    {
        const string digits = "abcdefghijklmnopqrstuvwxyz234567";
        Span<char> buf = stackalloc char[14];
        var i = buf.Length;
        do
        {
            buf[--i] = digits[(int)(n & 31)];
            n >>= 5;
        } while (n != 0);
        return new string(buf[i..]);
    }

    public IEnumerable<IActorRef> GetChildren()
    {
        lock (_childrenLock)
        {
            if (_children == null) return [];
            var list = new IActorRef[_children.Count];
            var i = 0;
            foreach (var c in _children.Values) list[i++] = c.Child;
            return list;
        }
    }

    internal List<ChildRestartStats> ChildStatsSnapshot()
    {
        lock (_childrenLock)
            return _children == null ? [] : [.. _children.Values];
    }

    public IActorRef? Child(string name)
    {
        lock (_childrenLock)
            return _children != null && _children.TryGetValue(name, out var s) ? s.Child : null;
    }

    internal ChildRestartStats? ChildStats(IActorRef child)
    {
        lock (_childrenLock)
            return _children != null && _children.TryGetValue(child.Path.Name, out var s) && s.Child.Equals(child) ? s : null;
    }

    private bool HasTerminatingChildren
    {
        get { lock (_childrenLock) return _terminatingChildren is { Count: > 0 }; }
    }

    private void MarkChildTerminating(IActorRef child)
    {
        lock (_childrenLock)
        {
            if (_children != null && _children.TryGetValue(child.Path.Name, out var s) && s.Child.Equals(child))
                (_terminatingChildren ??= []).Add(child);
        }
    }

    /// <summary>Sends Terminate to every child; returns how many are still to report back.</summary>
    private int StopAllChildren()
    {
        List<ChildRestartStats> children;
        lock (_childrenLock)
        {
            if (_children == null || _children.Count == 0) return 0;
            children = [.. _children.Values];
            _terminatingChildren ??= [];
            foreach (var c in children) _terminatingChildren.Add(c.Child);
        }
        foreach (var c in children) ((InternalActorRef)c.Child).SendSystemMessage(new Terminate());
        return children.Count;
    }

    private void SuspendChildren()
    {
        foreach (var c in ChildStatsSnapshot()) ((InternalActorRef)c.Child).SendSystemMessage(new Suspend());
    }

    private void ResumeChildren(Exception? cause)
    {
        foreach (var c in ChildStatsSnapshot()) ((InternalActorRef)c.Child).SendSystemMessage(new Resume(null));
        _ = cause;
    }

    /// <summary>A child reported its termination: forget it, and finish a pending stop or restart.</summary>
    private void ChildTerminated(IActorRef child)
    {
        bool noneLeft, noneTerminating;
        lock (_childrenLock)
        {
            if (_children != null && _children.TryGetValue(child.Path.Name, out var s) && s.Child.Equals(child))
                _children.Remove(child.Path.Name);
            _terminatingChildren?.Remove(child);
            noneLeft = _children is null or { Count: 0 };
            noneTerminating = _terminatingChildren is null or { Count: 0 };
        }
        if (_terminating && !_terminated && noneLeft) FinishTerminate();
        else if (_pendingRecreate != null && noneTerminating) FinishRecreate();
    }
}

/// <summary>A child with its restart history, as the supervisor strategy counts retries.</summary>
internal sealed class ChildRestartStats(IActorRef child)
{
    public IActorRef Child { get; } = child;
    private int _retries;
    private TimeSpan _windowStart = TimeSpan.MinValue;

    /// <summary>
    /// Counts one more restart and says whether it is within the limits: at most maxRetries
    /// restarts within the window (-1 and null meaning unlimited), the window restarting when
    /// it has passed — Akka's ChildRestartStats.requestRestartPermission.
    /// </summary>
    public bool RequestRestartPermission(int maxRetries, TimeSpan? window, TimeSpan now)
    {
        if (maxRetries == 0) return false;
        if (maxRetries < 0 && window == null) return true;
        if (window == null)
        {
            _retries++;
            return _retries <= maxRetries;
        }
        var limit = maxRetries < 0 ? 1 : maxRetries;
        _retries++;
        if (_windowStart == TimeSpan.MinValue) _windowStart = now;
        if (now - _windowStart <= window.Value) return _retries <= limit;
        _retries = 1;
        _windowStart = now;
        return true;
    }
}
