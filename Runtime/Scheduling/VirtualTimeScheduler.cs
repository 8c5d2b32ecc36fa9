namespace IommuSim.Runtime.Scheduling;

/// <summary>
/// Timers on a virtual clock, for the deterministic dispatcher. Time moves only by
/// <see cref="Advance"/> / <see cref="AdvanceTo"/> (called by the dispatcher when it is idle, or
/// by a cost model), and due actions run on the caller's thread, in due-then-schedule order, so
/// that a seed replays exactly. Only the dispatcher's thread touches it.
/// </summary>
public sealed class VirtualTimeScheduler : SchedulerBase
{
    private readonly TimerQueue _queue = new();
    private long _now;

    public override TimeSpan Now => TimeSpan.FromTicks(_now);
    public long NowTicks => _now;
    public int PendingTimers => _queue.Count;

    internal override ICancelable Schedule(TimeSpan delay, TimeSpan? interval, Action action) =>
        _queue.Add(action, _now + delay.Ticks, interval?.Ticks ?? 0);

    /// <summary>The due time of the next live timer, or null.</summary>
    public TimeSpan? NextDue => _queue.PeekDue() is { } d ? TimeSpan.FromTicks(d) : null;

    /// <summary>Moves the clock forward by the given amount, running every timer that falls due on the way.</summary>
    public int Advance(TimeSpan by) => AdvanceTo(_now + Math.Max(0, by.Ticks));

    /// <summary>Moves the clock to the given time (never backwards), running due timers at their own times.</summary>
    public int AdvanceTo(long ticks)
    {
        var fired = 0;
        while (_queue.TryTakeDue(ticks, out var item))
        {
            if (item.Due > _now) _now = item.Due;
            fired++;
            item.Action?.Invoke();
            if (item.Interval > 0 && !item.IsCancellationRequested)
            {
                item.Due += item.Interval;
                _queue.Requeue(item);
            }
        }
        if (ticks > _now) _now = ticks;
        return fired;
    }

    /// <summary>Adds simulated time without running timers (a cost charged by the model); they fire at the next advance.</summary>
    internal void Charge(long ticks) => _now += Math.Max(0, ticks);
}
