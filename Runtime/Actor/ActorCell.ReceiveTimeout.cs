namespace IommuSim.Runtime;

// Receive timeout and named timers: both deliver through the scheduler with a generation number,
// so that a tick scheduled before a reset or cancel is recognised as stale and dropped.
internal sealed partial class ActorCell
{
    public TimeSpan? ReceiveTimeout => _rare?.ReceiveTimeout;

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        var value = timeout is { } t && t > TimeSpan.Zero && t != Timeout.InfiniteTimeSpan ? t : (TimeSpan?)null;
        if (value != null || _rare != null) R.ReceiveTimeout = value;
        RescheduleReceiveTimeout();
    }

    private void RescheduleReceiveTimeout()
    {
        CancelReceiveTimeout();
        if (_rare?.ReceiveTimeout is not { } t) return;
        var tick = new ReceiveTimeoutTick(++_rare.ReceiveTimeoutGeneration);
        _rare.ReceiveTimeoutTask = System.Scheduler.ScheduleTellOnce(t, Self, tick, null);
    }

    private void CancelReceiveTimeout()
    {
        if (_rare?.ReceiveTimeoutTask is not { } task) return;
        task.Cancel();
        _rare.ReceiveTimeoutTask = null;
    }

    private void ReceivedTimeoutTick(ReceiveTimeoutTick tick)
    {
        if (_rare == null || tick.Generation != _rare.ReceiveTimeoutGeneration || _rare.ReceiveTimeout == null) return;
        ReceiveMessage(Runtime.ReceiveTimeout.Instance);
    }

    internal ITimerScheduler GetTimers() => R.Timers ??= new TimerScheduler(this);

    private void ReceivedTimer(TimerScheduler.TimerMessage timer)
    {
        if (_rare?.Timers is { } timers && timers.Accept(timer)) ReceiveMessage(timer.Message);
    }
}

/// <summary>The scheduled form of <see cref="ReceiveTimeout"/>; stale generations are dropped.</summary>
internal sealed record ReceiveTimeoutTick(long Generation) : INotInfluenceReceiveTimeout;
