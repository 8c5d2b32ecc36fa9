namespace IommuSim.Runtime;

/// <summary>A scheduled task that can be cancelled; cancelling after it ran does nothing.</summary>
public interface ICancelable
{
    /// <summary>Returns true when this call cancelled it (it had not run and was not cancelled before).</summary>
    bool Cancel();
    bool IsCancellationRequested { get; }
}

/// <summary>
/// Delayed and periodic sends. On the thread-pool dispatchers time is the wall clock; on the
/// deterministic dispatcher it is the virtual clock, which moves only when the dispatcher has
/// nothing else to do (so timeouts never need real sleeps and replay exactly).
/// </summary>
public interface IScheduler
{
    /// <summary>Time elapsed since the system started, on this scheduler's clock.</summary>
    TimeSpan Now { get; }
    ICancelable ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef? sender);
    ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef? sender);
    ICancelable ScheduleOnce(TimeSpan delay, Action action);
    ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action);
}
