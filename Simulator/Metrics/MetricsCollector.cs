using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The metrics of a run (README, "Metrics"), from the trace events its actors publish: each event
/// goes to the <see cref="MetricsHandler"/>s that handle its type, stamped with the time read
/// from <c>nowNs</c> when it is handled; <see cref="Complete"/> gathers their figures and series.
/// </summary>
/// <remarks>
/// <para><b>Subscription.</b> One sink for <see cref="ITraceEvent"/>: the mm and the mirrors
/// publish their events only when something listens to every trace event. Events no handler
/// routes are dropped before the lock, by one lookup in a table that is immutable after attach.</para>
/// <para><b>Threads.</b> The event stream calls the sink on the publishing thread. On the
/// deterministic dispatcher that is always the loop's thread; on the thread pool the mm, the
/// mirrors, the units and the devices publish from several threads at once. Every routed event
/// is therefore handled under one lock, and so is <see cref="Complete"/>: the handlers share the
/// series (the timeline above all) and pair events across publishers (a fault's start from a
/// mirror with its commit, an invalidation's start and end from the mm), so one lock is the
/// simplest correct choice, and reading the time inside it keeps each handler's times in the
/// order it handles them (a latency is never negative). It is held for a few dictionary and
/// list operations per event and never while calling out (<c>nowNs</c> reads a clock).</para>
/// </remarks>
public sealed class MetricsCollector : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Func<long> _nowNs;
    private readonly IReadOnlyDictionary<Type, Action<object, long>[]> _routes;
    private readonly IReadOnlyList<MetricsHandler> _handlers;
    private readonly RunSeriesBuilder _series;
    private readonly long _startNs;
    private IDisposable? _subscription;

    private MetricsCollector(Func<long> nowNs, RunSeriesBuilder series, IReadOnlyList<MetricsHandler> handlers)
    {
        _nowNs = nowNs;
        _series = series;
        _handlers = handlers;
        _routes = handlers.SelectMany(h => h.Routes)
            .GroupBy(r => r.Type)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Handle).ToArray());
        _startNs = nowNs();
        series.Iotlb.Start(_startNs);
    }

    /// <summary>Subscribes to the trace events of <paramref name="system"/>; <paramref name="nowNs"/> reads simulated time (virtual clock; on the thread pool, elapsed wall time).</summary>
    public static MetricsCollector Attach(ActorSystem system, Func<long> nowNs) => Attach(system, nowNs, new RunSeriesBuilder(), MetricsHandlers.Default);

    /// <summary>
    /// As <see cref="Attach(ActorSystem, Func{long})"/> with the handlers <paramref name="handlers"/>
    /// makes over <paramref name="series"/> (to add a subsystem's metrics, or bound the series differently).
    /// </summary>
    public static MetricsCollector Attach(ActorSystem system, Func<long> nowNs, RunSeriesBuilder series,
        Func<RunSeriesBuilder, IReadOnlyList<MetricsHandler>> handlers)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(nowNs);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(handlers);
        var collector = new MetricsCollector(nowNs, series, handlers(series));
        collector._subscription = system.EventStream.Subscribe(typeof(ITraceEvent), collector.OnEvent);
        return collector;
    }

    /// <summary>Handles one trace event (the event stream calls it; tests may too).</summary>
    public void OnEvent(object traceEvent)
    {
        ArgumentNullException.ThrowIfNull(traceEvent);
        if (!_routes.TryGetValue(traceEvent.GetType(), out var handles)) return;
        lock (_lock)
        {
            var now = _nowNs();
            foreach (var handle in handles) handle(traceEvent, now);
        }
    }

    /// <summary>The run's named figures and series, once the run is over.</summary>
    public (IReadOnlyDictionary<string, double> Metrics, RunSeries Series) Complete()
    {
        lock (_lock)
        {
            var now = _nowNs();
            var span = Math.Max(0, now - _startNs);
            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal) { [MetricNames.SpanNs] = span };
            foreach (var handler in _handlers) handler.Complete(metrics, span);
            metrics[MetricNames.TimelineDropped] = _series.TimelineDropped;
            return (metrics, _series.Build(now));
        }
    }

    /// <summary>Unsubscribes; <see cref="Complete"/> still reports what was collected.</summary>
    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
    }
}
