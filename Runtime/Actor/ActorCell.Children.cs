namespace IommuSim.Runtime;

// Children: creation, naming, and the bookkeeping that termination and restart wait on.
internal sealed partial class ActorCell
{
    // Children are reserved by ActorOf, which for top-level actors runs on the caller's thread
    // while the guardian may be processing on another; the registry is guarded by a lock on this
    // cell (never exposed outside the runtime), held only for dictionary operations — never
    // across user code or while sending.
    private Dictionary<string, IActorRef>? _children;

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name != null && !ActorPath.IsValidName(name))
            throw new InvalidActorNameException($"Invalid actor name '{name}': names must be non-empty, not start with '$', and use only letters, digits and -_.*$+:@&=,!~';()");
        var dispatcher = System.Dispatchers.Lookup(props.Dispatcher);
        var mailboxSettings = System.Mailboxes.Lookup(props.Mailbox);
        var uid = System.NextUid();
        ActorCell child;
        lock (this)
        {
            if (_terminating || _terminated)
                throw new InvalidOperationException($"Cannot create a child of {Self.Path}: it is stopping");
            name ??= "$" + EncodeName(R.NextChildName++);
            _children ??= new Dictionary<string, IActorRef>(StringComparer.Ordinal);
            if (_children.ContainsKey(name))
                throw new InvalidActorNameException($"Actor name '{name}' is not unique under {Self.Path}");
            var mailbox = dispatcher.CreateMailbox(mailboxSettings);
            child = new ActorCell(System, Self, props, dispatcher, mailbox, Self.Path.Child(name, uid));
            _children[name] = child.Self;
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
        lock (this)
            return _children == null ? [] : [.. _children.Values];
    }

    public IActorRef? Child(string name)
    {
        lock (this)
            return _children != null && _children.TryGetValue(name, out var c) ? c : null;
    }

    /// <summary>The restart history of a current child (created on its first failure); null for a stranger.</summary>
    internal ChildRestartStats? ChildStats(IActorRef child)
    {
        lock (this)
        {
            if (_children == null || !_children.TryGetValue(child.Path.Name, out var c) || !c.Equals(child)) return null;
            var stats = R.RestartStats ??= [];
            if (!stats.TryGetValue(child, out var s)) stats[child] = s = new ChildRestartStats(child);
            return s;
        }
    }

    internal List<ChildRestartStats> ChildStatsSnapshot() =>
        GetChildren().Select(c => ChildStats(c)).OfType<ChildRestartStats>().ToList();

    private bool HasTerminatingChildren
    {
        get { lock (this) return _rare?.TerminatingChildren is { Count: > 0 }; }
    }

    private void MarkChildTerminating(IActorRef child)
    {
        lock (this)
        {
            if (_children != null && _children.TryGetValue(child.Path.Name, out var c) && c.Equals(child))
                (R.TerminatingChildren ??= []).Add(child);
        }
    }

    /// <summary>Sends Terminate to every child; returns how many are still to report back.</summary>
    private int StopAllChildren()
    {
        IActorRef[] children;
        lock (this)
        {
            if (_children == null || _children.Count == 0) return 0;
            children = [.. _children.Values];
            var terminating = R.TerminatingChildren ??= [];
            foreach (var c in children) terminating.Add(c);
        }
        foreach (var c in children) ((InternalActorRef)c).SendSystemMessage(new Terminate());
        return children.Length;
    }

    private void SuspendChildren()
    {
        foreach (var c in GetChildren()) ((InternalActorRef)c).SendSystemMessage(new Suspend());
    }

    private void ResumeChildren()
    {
        foreach (var c in GetChildren()) ((InternalActorRef)c).SendSystemMessage(new Resume(null));
    }

    /// <summary>A child reported its termination: forget it, and finish a pending stop or restart.</summary>
    private void ChildTerminated(IActorRef child)
    {
        bool noneLeft, noneTerminating;
        lock (this)
        {
            if (_children != null && _children.TryGetValue(child.Path.Name, out var c) && c.Equals(child))
                _children.Remove(child.Path.Name);
            _rare?.TerminatingChildren?.Remove(child);
            _rare?.RestartStats?.Remove(child);
            noneLeft = _children is null or { Count: 0 };
            noneTerminating = _rare?.TerminatingChildren is null or { Count: 0 };
        }
        if (_terminating && !_terminated && noneLeft) FinishTerminate();
        else if (_rare?.PendingRecreate != null && noneTerminating) FinishRecreate();
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
