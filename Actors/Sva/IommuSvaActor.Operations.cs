using IommuSim.Messages.Sva;
using IommuSim.Runtime;

namespace IommuSim.Actors.Sva;

// Binds and unbinds one at a time (iommu_sva_lock). An operation is a chain of steps, each
// waiting for one answer from one actor; requests that arrive meanwhile wait in arrival order.
public sealed partial class IommuSvaActor
{
    private readonly Queue<(object Request, IActorRef ReplyTo)> _requests = new();
    private bool _busy;

    /// <summary>The step waiting: the actor it asked, the answer type it expects, and what to do with the answer.</summary>
    private (IActorRef From, Type Type, Action<object> Then)? _awaiting;

    private void Request(object request, IActorRef replyTo)
    {
        _requests.Enqueue((request, replyTo));
        if (!_busy) RunNext();
    }

    private void RunNext()
    {
        while (!_busy && _requests.TryDequeue(out var next))
        {
            _busy = true;
            switch (next.Request)
            {
                case SvaBindDevice bind:
                    Bind(bind, next.ReplyTo);
                    break;
                case SvaUnbindDevice unbind:
                    Unbind(unbind, next.ReplyTo);
                    break;
            }
        }
    }

    /// <summary>
    /// The operation answered its caller. The next request runs when the handler that finished it
    /// returns: from RunNext's loop, or from <see cref="Answer"/>.
    /// </summary>
    private void Finished(IActorRef replyTo, object reply)
    {
        replyTo.Tell(reply, Self);
        _busy = false;
    }

    /// <summary>Asks <paramref name="target"/> and continues with its answer of type <typeparamref name="T"/>.</summary>
    private void Ask<T>(IActorRef target, object request, Action<T> then)
    {
        _awaiting = (target, typeof(T), m => then((T)m));
        target.Tell(request, Self);
    }

    /// <summary>An answer: handed to the waiting step if it is the one it waits for, else ignored.</summary>
    private void Answer(object message)
    {
        if (_awaiting is not { } step || !step.From.Equals(Sender) || step.Type != message.GetType()) return;
        _awaiting = null;
        step.Then(message);
        if (!_busy) RunNext();
    }
}
