namespace IommuSim.Runtime;

/// <summary>Named timers owned by an actor (Akka's ITimerScheduler); cancelled when it stops or restarts.</summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan delay);
    void StartPeriodicTimer(object key, object message, TimeSpan interval);
    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);
    bool IsTimerActive(object key);
    void Cancel(object key);
    void CancelAll();
}

/// <summary>
/// Starting a timer with a key that is active replaces it; a message of a replaced or cancelled
/// timer that was already queued is dropped (the generation no longer matches).
/// </summary>
internal sealed class TimerScheduler(ActorCell cell) : ITimerScheduler
{
    internal sealed record TimerMessage(object Key, long Generation, object Message, bool Repeat) : INotInfluenceReceiveTimeout;

    private readonly Dictionary<object, (long Generation, ICancelable Task)> _timers = [];
    private long _generation;

    public void StartSingleTimer(object key, object message, TimeSpan delay) => Start(key, message, delay, null);
    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => Start(key, message, interval, interval);
    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval) => Start(key, message, initialDelay, interval);

    private void Start(object key, object message, TimeSpan delay, TimeSpan? interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        Cancel(key);
        var gen = ++_generation;
        var msg = new TimerMessage(key, gen, message, interval.HasValue);
        var task = interval is { } i
            ? cell.System.Scheduler.ScheduleTellRepeatedly(delay, i, cell.Self, msg, null)
            : cell.System.Scheduler.ScheduleTellOnce(delay, cell.Self, msg, null);
        _timers[key] = (gen, task);
    }

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var t)) t.Task.Cancel();
    }

    public void CancelAll()
    {
        foreach (var t in _timers.Values) t.Task.Cancel();
        _timers.Clear();
    }

    /// <summary>Whether a delivered timer message is still current; a single timer ends here.</summary>
    internal bool Accept(TimerMessage m)
    {
        if (!_timers.TryGetValue(m.Key, out var t) || t.Generation != m.Generation) return false;
        if (!m.Repeat) _timers.Remove(m.Key);
        return true;
    }
}
