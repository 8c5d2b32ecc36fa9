namespace IommuSim.Runtime;

// Async receive that keeps the actor's ordering: while a handler's task is pending the mailbox
// is suspended for user messages, and every continuation of the handler runs as a system message
// in the actor's own context — never concurrently with another message of this actor.
internal sealed partial class ActorCell
{
    /// <summary>Runs an async handler; the next user message waits until its task completes.</summary>
    internal void RunAsync(Func<Task> handler)
    {
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new ActorSynchronizationContext(this));
        Task task;
        try
        {
            task = handler();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
        if (task.IsCompleted)
        {
            if (task.IsFaulted || task.IsCanceled) task.GetAwaiter().GetResult(); // rethrow to supervision
            return;
        }
        _pendingAsync++;
        Mailbox.Suspend();
        task.ContinueWith(
            static (t, state) => ((ActorCell)state!).SendSystemMessage(new AsyncReceiveCompleted(
                t.IsFaulted ? t.Exception!.InnerException ?? t.Exception : t.IsCanceled ? new TaskCanceledException(t) : null)),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void RunContinuationInContext(RunContinuation rc)
    {
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new ActorSynchronizationContext(this));
        try
        {
            rc.Callback(rc.State);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
    }

    private void CompleteAsyncReceive(Exception? failure)
    {
        if (_pendingAsync == 0) return; // a restart already reset the actor
        _pendingAsync--;
        Mailbox.Resume();
        if (failure != null) HandleInvokeFailure(failure);
        else Dispatcher.OnResumed(this);
    }

    private sealed class ActorSynchronizationContext(ActorCell cell) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => cell.SendSystemMessage(new RunContinuation(d, state));
        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Synchronous Send into an actor would block it");
        public override SynchronizationContext CreateCopy() => this;
    }
}
