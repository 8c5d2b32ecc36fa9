namespace IommuSim.Runtime.Scheduling;

/// <summary>The message-sending forms of the scheduler, built on its action form.</summary>
public abstract class SchedulerBase : IScheduler
{
    public abstract TimeSpan Now { get; }
    internal abstract ICancelable Schedule(TimeSpan delay, TimeSpan? interval, Action action);

    public ICancelable ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef? sender) =>
        Schedule(Check(delay), null, () => receiver.Tell(message, sender));

    public ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef? sender) =>
        Schedule(Check(initialDelay), CheckInterval(interval), () => receiver.Tell(message, sender));

    public ICancelable ScheduleOnce(TimeSpan delay, Action action) => Schedule(Check(delay), null, action);

    public ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action) =>
        Schedule(Check(initialDelay), CheckInterval(interval), action);

    private static TimeSpan Check(TimeSpan delay) =>
        delay < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(delay), $"delay must not be negative, got {delay}") : delay;

    private static TimeSpan CheckInterval(TimeSpan interval) =>
        interval <= TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(interval), $"interval must be positive, got {interval}") : interval;
}
