namespace IommuSim.Runtime;

/// <summary>
/// An actor whose behaviour is a table of typed handlers registered in its constructor (or in a
/// <see cref="Become(Action)"/> block), tried in registration order; the first whose type and
/// predicate match handles the message.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private HandlerTable _initial = new();
    private HandlerTable? _configuring;

    protected ReceiveActor() => _configuring = _initial;

    protected sealed override bool Receive(object message)
    {
        _configuring = null; // registration is over once the first message arrives
        return _initial.Handle(message);
    }

    private HandlerTable Table => _configuring ?? throw new InvalidOperationException(
        "Receive handlers can only be registered in the constructor or inside Become(() => ...)");

    protected void Receive<T>(Action<T> handler, Predicate<T>? shouldHandle = null) =>
        Table.Add(new SyncHandler<T>(handler ?? throw new ArgumentNullException(nameof(handler)), shouldHandle));

    protected void Receive<T>(Predicate<T> shouldHandle, Action<T> handler) => Receive(handler, shouldHandle);

    /// <summary>A handler that says whether it handled the message.</summary>
    protected void Receive<T>(Func<T, bool> handler) =>
        Table.Add(new FuncHandler<T>(handler ?? throw new ArgumentNullException(nameof(handler))));

    /// <summary>An async handler: no other message of this actor runs until its task completes.</summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null) =>
        Table.Add(new AsyncHandler<T>(this, handler ?? throw new ArgumentNullException(nameof(handler)), shouldHandle));

    protected void ReceiveAny(Action<object> handler) =>
        Table.Add(new SyncHandler<object>(handler ?? throw new ArgumentNullException(nameof(handler)), null));

    protected void ReceiveAnyAsync(Func<object, Task> handler) =>
        Table.Add(new AsyncHandler<object>(this, handler ?? throw new ArgumentNullException(nameof(handler)), null));

    /// <summary>Replaces the behaviour with the handlers <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure) => Become(BuildTable(configure).Handle);

    /// <summary>Pushes the handlers <paramref name="configure"/> registers; UnbecomeStacked returns.</summary>
    protected void BecomeStacked(Action configure) => BecomeStacked(BuildTable(configure).Handle);

    private HandlerTable BuildTable(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = _configuring;
        var table = new HandlerTable();
        _configuring = table;
        try
        {
            configure();
        }
        finally
        {
            _configuring = previous;
        }
        return table;
    }

    internal void RunAsyncHandler(Func<Task> run) => ((ActorCell)Context).RunAsync(run);

    private sealed class HandlerTable
    {
        private Handler[] _handlers = [];
        public void Add(Handler h) => _handlers = [.. _handlers, h];

        public bool Handle(object message)
        {
            foreach (var h in _handlers)
                if (h.TryHandle(message)) return true;
            return false;
        }
    }

    private abstract class Handler
    {
        public abstract bool TryHandle(object message);
    }

    private sealed class SyncHandler<T>(Action<T> handler, Predicate<T>? predicate) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T t || (predicate != null && !predicate(t))) return false;
            handler(t);
            return true;
        }
    }

    private sealed class FuncHandler<T>(Func<T, bool> handler) : Handler
    {
        public override bool TryHandle(object message) => message is T t && handler(t);
    }

    private sealed class AsyncHandler<T>(ReceiveActor actor, Func<T, Task> handler, Predicate<T>? predicate) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T t || (predicate != null && !predicate(t))) return false;
            actor.RunAsyncHandler(() => handler(t));
            return true;
        }
    }
}
