using IommuSim.Messages.Trace;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// The common part of an <see cref="IInvariantOracle"/> fed by trace events: the subscription, the
/// last events for a violation's context, and the violations. A subclass checks each event in
/// <see cref="Check"/> and at teardown in <see cref="CheckAtTeardown"/>, calling <see cref="Report"/>.
/// </summary>
/// <remarks>
/// The event stream calls the oracle synchronously on each publishing thread (on the thread-pool
/// dispatcher, several at once), so that it sees each event at the moment it happens, in causal
/// order; every event and every query is handled under one lock, held for a few dictionary
/// operations and never while calling out.
/// </remarks>
public abstract class TraceOracle : IInvariantOracle
{
    private const int RecentCapacity = 24;

    private readonly Lock _lock = new();
    private readonly Queue<string> _recent = new();
    private readonly List<InvariantViolation> _violations = [];
    private IDisposable? _subscription;

    public abstract string Invariant { get; }

    public IReadOnlyList<InvariantViolation> Violations
    {
        get
        {
            lock (_lock) return [.. _violations];
        }
    }

    /// <summary>Trace events handled so far.</summary>
    public long Events
    {
        get
        {
            lock (_lock) return _events;
        }
    }

    private long _events;

    /// <summary>Subscribes to every trace event of <paramref name="events"/> until disposed.</summary>
    public void Subscribe(EventStream events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_subscription is not null) throw new InvalidOperationException("the oracle is subscribed already");
        _subscription = events.Subscribe(typeof(ITraceEvent), OnEvent);
    }

    /// <summary>Handles one event; the event stream calls it, tests may too.</summary>
    public void OnEvent(object e)
    {
        lock (_lock)
        {
            if (!Wants(e)) return;
            _events++;
            _recent.Enqueue(e.ToString() ?? "");
            if (_recent.Count > RecentCapacity) _recent.Dequeue();
            Check(e);
        }
    }

    public void CheckTeardown()
    {
        lock (_lock) CheckAtTeardown();
    }

    /// <summary>Whether the oracle looks at this event (others are neither checked nor remembered); all of them unless overridden.</summary>
    protected virtual bool Wants(object e) => true;

    /// <summary>Checks one event, under the lock.</summary>
    protected abstract void Check(object e);

    /// <summary>Checks what must hold once everything was torn down, under the lock.</summary>
    protected abstract void CheckAtTeardown();

    /// <summary>Records a violation with the events before it (the current one last), under the lock.</summary>
    protected void Report(string message, IEnumerable<string> actors, IEnumerable<string>? pages = null) =>
        _violations.Add(new InvariantViolation(Invariant, message, [.. actors], [.. pages ?? []], [.. _recent]));

    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
        GC.SuppressFinalize(this);
    }
}
