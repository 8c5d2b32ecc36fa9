namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// A mailbox run by a thread-based dispatcher (thread pool or pinned thread): it is also the work
/// item. <see cref="Execute"/> drains system messages, then up to <c>throughput</c> user messages,
/// checking system messages after each one, so that system messages overtake user messages.
/// </summary>
public abstract class ThreadedMailbox : Mailbox, IThreadPoolWorkItem
{
    internal ThreadedDispatcher Dispatcher { get; set; } = null!;

    public void Execute()
    {
        try
        {
            if (!IsClosed)
            {
                ProcessAllSystemMessages();
                ProcessMailbox();
            }
        }
        finally
        {
            SetAsIdle();
            Dispatcher.RegisterForExecution(this, false, false);
        }
    }

    private void ProcessMailbox()
    {
        var left = Dispatcher.Throughput;
        var deadline = Dispatcher.ThroughputDeadlineTicks;
        var start = deadline > 0 ? Environment.TickCount64 : 0;
        while (left-- > 0 && ShouldProcessMessage && Cell.TryDequeueNext(out var env))
        {
            Cell.Invoke(env);
            if (HasSystemMessages) ProcessAllSystemMessages();
            if (deadline > 0 && Environment.TickCount64 - start >= deadline) break;
        }
    }
}
