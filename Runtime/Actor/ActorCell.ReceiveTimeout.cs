namespace IommuSim.Runtime;

// Receive timeout and named timers: both deliver through the scheduler with a generation number,
// so that a tick scheduled before a reset or cancel is recognised as stale and dropped.
internal sealed partial class ActorCell
{
    private TimeSpan? _receiveTimeout;
    private ICancelable? _receiveTimeoutTask;
    private long _receiveTimeoutGeneration;
    private TimerScheduler? _timers;

    public TimeSpan? ReceiveTimeout => _receiveTimeout;

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        _receiveTimeout = timeout is { } t && t > TimeSpan.Zero && t != Timeout.InfiniteTimeSpan ? t : null;
        RescheduleReceiveTimeout();
    }

    private void RescheduleReceiveTimeout()
    {
        CancelReceiveTimeout();
        if (_receiveTimeout is not { } t) return;
        var tick = new ReceiveTimeoutTick(++_receiveTimeoutGeneration);
        _receiveTimeoutTask = System.Scheduler.ScheduleTellOnce(t, Self, tick, null);
    }

    private void CancelReceiveTimeout()
    {
        _receiveTimeoutTask?.Cancel();
        _receiveTimeoutTask = null;
    }

    private void ReceivedTimeoutTick(ReceiveTimeoutTick tick)
    {
        if (tick.Generation != _receiveTimeoutGeneration || _receiveTimeout == null) return;
        ReceiveMessage(Runtime.ReceiveTimeout.Instance);
    }

    internal ITimerScheduler GetTimers() => _timers ??= new TimerScheduler(this);

    private void ReceivedTimer(TimerScheduler.TimerMessage timer)
    {
        if (_timers != null && _timers.Accept(timer)) ReceiveMessage(timer.Message);
    }
}

/// <summary>The scheduled form of <see cref="ReceiveTimeout"/>; stale generations are dropped.</summary>
internal sealed record ReceiveTimeoutTick(long Generation) : INotInfluenceReceiveTimeout;
