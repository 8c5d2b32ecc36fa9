using IommuSim.Messages.Trace;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The metrics of one subsystem: the trace events it handles (registered with <see cref="On{T}"/>
/// in its constructor) and the figures it reports. A <see cref="MetricsCollector"/> calls every
/// handler under one lock, so a handler keeps plain fields. Metrics for a new subsystem (live
/// migration rounds and convergence, SVA I/O page faults) are one more handler listed in
/// <see cref="MetricsHandlers.Default"/>.
/// </summary>
public abstract class MetricsHandler
{
    private readonly List<(Type Type, Action<object, long> Handle)> _routes = [];

    /// <summary>The event types this handler handles and how, for the collector's routing table.</summary>
    internal IReadOnlyList<(Type Type, Action<object, long> Handle)> Routes => _routes;

    /// <summary>Calls <paramref name="handle"/> with each published <typeparamref name="T"/> and the simulated time (ns) it was handled at.</summary>
    protected void On<T>(Action<T, long> handle) where T : ITraceEvent
    {
        ArgumentNullException.ThrowIfNull(handle);
        _routes.Add((typeof(T), (e, now) => handle((T)e, now)));
    }

    /// <summary>
    /// Writes this handler's figures into <paramref name="metrics"/> (names from
    /// <see cref="MetricNames"/>). <paramref name="spanNs"/> is the simulated time the collector
    /// observed, from its attach to now.
    /// </summary>
    public abstract void Complete(IDictionary<string, double> metrics, long spanNs);
}
