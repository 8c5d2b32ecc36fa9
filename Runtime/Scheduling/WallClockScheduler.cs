using System.Diagnostics;

namespace IommuSim.Runtime.Scheduling;

/// <summary>
/// Wall-clock timers run by one background thread. The queue is shared between the threads that
/// schedule and the timer thread, so it is guarded by a lock (held only for heap operations,
/// never while an action runs). Actions run on the timer thread and must be short: the runtime's
/// own actions only Tell.
/// </summary>
public sealed class WallClockScheduler : SchedulerBase, IDisposable
{
    private readonly object _lock = new();
    private readonly TimerQueue _queue = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _thread;
    private long _nextWake = long.MaxValue;
    private bool _stopped;

    public WallClockScheduler(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"{name}-scheduler" };
        _thread.Start();
    }

    public override TimeSpan Now => _clock.Elapsed;

    internal override ICancelable Schedule(TimeSpan delay, TimeSpan? interval, Action action)
    {
        var due = _clock.Elapsed.Ticks + delay.Ticks;
        lock (_lock)
        {
            if (_stopped) return new ScheduledItem(action, due, 0, 0) { };
            var item = _queue.Add(action, due, interval?.Ticks ?? 0);
            // Wake the thread only when this item is earlier than what it sleeps for.
            if (due < _nextWake) Monitor.Pulse(_lock);
            return item;
        }
    }

    private void Run()
    {
        var due = new List<ScheduledItem>();
        while (true)
        {
            lock (_lock)
            {
                while (true)
                {
                    if (_stopped) return;
                    var now = _clock.Elapsed.Ticks;
                    while (_queue.TryTakeDue(now, out var item)) due.Add(item);
                    if (due.Count > 0) break;
                    var next = _queue.PeekDue();
                    _nextWake = next ?? long.MaxValue;
                    var wait = next is { } n ? TimeSpan.FromTicks(Math.Max(n - now, TimeSpan.TicksPerMillisecond / 10)) : Timeout.InfiniteTimeSpan;
                    Monitor.Wait(_lock, wait);
                }
                _nextWake = 0;
            }
            foreach (var item in due)
            {
                try
                {
                    item.Action?.Invoke();
                }
                catch (Exception e)
                {
                    Trace.TraceError($"scheduled action failed: {e}");
                }
                if (item.Interval > 0 && !item.IsCancellationRequested)
                {
                    lock (_lock)
                    {
                        item.Due += item.Interval;
                        _queue.Requeue(item);
                    }
                }
            }
            due.Clear();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            _queue.Clear();
            Monitor.Pulse(_lock);
        }
    }
}
