namespace IommuSim.Runtime.Scheduling;

/// <summary>
/// A scheduled item: fires at <see cref="Due"/> (ticks on the owning scheduler's clock), then
/// again every <see cref="Interval"/> if periodic. Cancellation is a flag; a cancelled item is
/// dropped when it reaches the head of the queue.
/// </summary>
internal sealed class ScheduledItem(Action action, long due, long interval, long sequence) : ICancelable
{
    private int _cancelled;
    private Action? _action = action;

    /// <summary>
    /// Dropped on cancel: the item stays in the heap until it falls due, but what its action
    /// holds (an Ask's promise and task) is released at once.
    /// </summary>
    public Action? Action => Volatile.Read(ref _action);
    public long Due { get; set; } = due;
    public long Interval { get; } = interval;
    /// <summary>Tie-break for equal due times: items fire in the order they were scheduled.</summary>
    public long Sequence { get; set; } = sequence;
    public bool IsCancellationRequested => Volatile.Read(ref _cancelled) != 0;
    public bool Cancel()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) != 0) return false;
        Volatile.Write(ref _action, null);
        return true;
    }
}

/// <summary>A min-heap of scheduled items by (due, sequence). Not thread-safe: its owner serialises access.</summary>
internal sealed class TimerQueue
{
    private readonly PriorityQueue<ScheduledItem, (long Due, long Seq)> _heap = new();
    private long _sequence;

    public int Count => _heap.Count;

    public ScheduledItem Add(Action action, long due, long interval)
    {
        var item = new ScheduledItem(action, due, interval, _sequence++);
        _heap.Enqueue(item, (due, item.Sequence));
        return item;
    }

    public void Requeue(ScheduledItem item)
    {
        item.Sequence = _sequence++;
        _heap.Enqueue(item, (item.Due, item.Sequence));
    }

    /// <summary>The earliest live due time, dropping cancelled items at the head; null when empty.</summary>
    public long? PeekDue()
    {
        while (_heap.TryPeek(out var item, out var key))
        {
            if (!item.IsCancellationRequested) return key.Due;
            _heap.Dequeue();
        }
        return null;
    }

    /// <summary>Takes the earliest item due at or before <paramref name="now"/>.</summary>
    public bool TryTakeDue(long now, out ScheduledItem item)
    {
        while (_heap.TryPeek(out item!, out var key) && key.Due <= now)
        {
            _heap.Dequeue();
            if (!item.IsCancellationRequested) return true;
        }
        item = null!;
        return false;
    }

    public void Clear() => _heap.Clear();
}
