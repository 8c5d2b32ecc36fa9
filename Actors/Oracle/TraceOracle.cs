using IommuSim.Messages.Trace;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// The plumbing an <see cref="IInvariantOracle"/> fed by trace events shares: the subscription,
/// one lock around the derived oracle's state, the last events for a violation's context, and
/// the list of violations.
/// </summary>
/// <remarks>
/// <b>Thread safety.</b> The event stream calls <see cref="OnEvent"/> synchronously on each
/// publishing thread (on the thread-pool dispatcher several actors publish at once), so every
/// event is handled under <see cref="_lock"/>, and the derived class touches its state only in
/// <see cref="Handle"/> and <see cref="Teardown"/>, both called under it. Causality keeps the order
/// right: an actor publishes an event before it sends the messages that lead to later events.
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

    /// <summary>Subscribes to every trace event of <paramref name="events"/>; dispose to unsubscribe.</summary>
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
            Handle(e);
            _recent.Enqueue(e.ToString() ?? e.GetType().Name);
            if (_recent.Count > RecentCapacity) _recent.Dequeue();
        }
    }

    public void CheckTeardown()
    {
        lock (_lock) Teardown();
    }

    /// <summary>Updates the state for one event and checks it; called under the lock.</summary>
    protected abstract void Handle(object e);

    /// <summary>The checks that hold only once everything was torn down; called under the lock.</summary>
    protected abstract void Teardown();

    /// <summary>Records a violation with the events before it (the current one not yet among them).</summary>
    protected void Violation(string message, IEnumerable<string> actors, IEnumerable<string> pages) =>
        _violations.Add(new InvariantViolation(Invariant, message, [.. actors], [.. pages], [.. _recent]));

    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
        GC.SuppressFinalize(this);
    }
}
