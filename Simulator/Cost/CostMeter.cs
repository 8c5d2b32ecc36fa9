using IommuSim.Runtime.Deterministic;
using IommuSim.Runtime.Event;

namespace IommuSim.Simulator.Cost;

/// <summary>
/// A <see cref="CostModel"/> attached to a deterministic run: charges a hop and the message's
/// rule after every delivery, and the rules of the trace events published during it.
/// </summary>
/// <remarks>
/// <b>Threads.</b> Nothing here is locked: on the deterministic dispatcher every actor runs on
/// the loop's thread, so deliveries (<see cref="DeterministicDispatcher.OnDelivery"/>) and the
/// events they publish (the event stream calls sinks on the publishing thread) all arrive on that
/// one thread, one at a time. The clock counts 100 ns ticks: costs accumulate in nanoseconds and
/// whole ticks are charged, the remainder carried to the next charge, so a thousand 2 ns hits
/// cost 2 us and not 0.
/// </remarks>
public sealed class CostMeter : IDisposable
{
    private const double NanosecondsPerTick = 100;

    private readonly CostModel _model;
    private readonly CostRules _rules;
    private readonly DeterministicDispatcher _dispatcher;
    private readonly Action<Delivery> _onDelivery;
    private readonly List<IDisposable> _subscriptions = [];
    private double _pendingEventsNs;
    private double _carryNs;
    private bool _disposed;

    internal CostMeter(CostModel model, EventStream events, DeterministicDispatcher dispatcher)
    {
        _model = model;
        _rules = CostRules.For(model);
        _dispatcher = dispatcher;
        _onDelivery = OnDelivery;
        // One subscription per costed type, not one to ITraceEvent: publishers that check their
        // own type (per burst, per fault) then build only the events that cost something.
        foreach (var type in _rules.EventTypes)
            _subscriptions.Add(events.Subscribe(type, OnEvent));
        dispatcher.OnDelivery += _onDelivery;
    }

    /// <summary>Nanoseconds the model has charged so far: all of it is on the clock but <see cref="CarriedNs"/>.</summary>
    public double ChargedNs { get; private set; }

    /// <summary>Nanoseconds accumulated but less than a tick, not yet on the clock.</summary>
    public double CarriedNs => _carryNs;

    private void OnEvent(object traceEvent) => _pendingEventsNs += _rules.OfEvent(traceEvent);

    private void OnDelivery(Delivery delivery)
    {
        var ns = _model.MessageHopNs + _rules.OfMessage(delivery.Message) + _pendingEventsNs;
        _pendingEventsNs = 0;
        Charge(ns);
    }

    private void Charge(double ns)
    {
        ChargedNs += ns;
        _carryNs += ns;
        var ticks = (long)(_carryNs / NanosecondsPerTick);
        if (ticks == 0) return;
        _carryNs -= ticks * NanosecondsPerTick;
        _dispatcher.Charge(TimeSpan.FromTicks(ticks));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _dispatcher.OnDelivery -= _onDelivery;
        foreach (var s in _subscriptions) s.Dispose();
        _subscriptions.Clear();
    }
}
