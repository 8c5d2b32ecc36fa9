using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// An iommufd IOAS (struct iommufd_ioas with its struct io_pagetable, seed 004): areas of pinned
/// user memory at IOVAs, the allowed and reserved IOVA ranges, and the paging domains every area
/// is mapped into; dirty tracking on those domains and read-and-clear of their dirty bits.
/// </summary>
/// <remarks>
/// <para><b>One request at a time.</b> The kernel serialises an io_pagetable's changes with its
/// iova_rwsem and domains_rwsem; the IOAS handles its requests in arrival order, each to the end
/// (domain replies included) before the next starts, queueing what arrives meanwhile. A check
/// that fails answers at once and changes nothing.</para>
/// <para><b>Calls to domains.</b> Work on a domain is a sequence of requests, each sent when the
/// previous one was answered (<see cref="Call"/>): a domain answers an unmap only after its IOTLB
/// sync, so the IOAS may unpin an area's pages only once every domain answered its unmap.</para>
/// <para><b>Pages.</b> Areas pin the frames of the owner's <see cref="IUserMemory"/> (one
/// FOLL_PIN per page per area) and unpin them, marked dirty when the area was writable
/// (unpin_user_page_range_dirty_lock), after the area left every domain.</para>
/// </remarks>
public sealed partial class IoasActor : ReceiveActor
{
    private readonly PhysicalMemory _memory;
    private readonly IUserMemory _user;

    /// <summary>Areas by first IOVA; they never overlap.</summary>
    private readonly SortedList<ulong, IoasArea> _areas = [];
    private long _pinnedPages;

    private readonly Queue<(IIoasRequest Request, IActorRef ReplyTo)> _queue = new();
    private IActorRef? _replyTo;
    private (IActorRef Target, Action<IReply> Then)? _call;
    private bool _draining;

    public IoasActor(PhysicalMemory memory, IUserMemory user)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(user);
        _memory = memory;
        _user = user;
        Receive<IIoasRequest>(request =>
        {
            _queue.Enqueue((request, Sender));
            Drain();
        });
        Receive<IReply>(OnReply);
    }

    public static Props Props(PhysicalMemory memory, IUserMemory user) =>
        Runtime.Props.Create(() => new IoasActor(memory, user));

    /// <summary>Starts queued requests while none is in progress.</summary>
    private void Drain()
    {
        // A request that finishes at once comes back here from Finish: the outer loop goes on.
        if (_draining) return;
        _draining = true;
        try
        {
            while (_replyTo is null && _queue.TryDequeue(out var next))
            {
                _replyTo = next.ReplyTo;
                Start(next.Request);
            }
        }
        finally
        {
            _draining = false;
        }
    }

    private void Start(IIoasRequest request)
    {
        switch (request)
        {
            case IoasMap map: OnMap(map); break;
            case IoasUnmap unmap: OnUnmap(unmap); break;
            case IoasAllowIovas allow: Finish(new Done(SetAllowedIovas(allow.Ranges))); break;
            case IoasReserveIova reserve: Finish(new Done(Reserve(reserve.Range, reserve.Owner))); break;
            case IoasRemoveReservedIova remove: RemoveReserved(remove.Owner); Finish(Done.Ok); break;
            case IoasAttachDomain attach: OnAttachDomain(attach); break;
            case IoasDetachDomain detach: OnDetachDomain(detach); break;
            case IoasSetDirtyTracking set: OnSetDirtyTracking(set); break;
            case IoasGetDirtyBitmap read: OnGetDirtyBitmap(read); break;
            case GetIoasInfo: Finish(Info()); break;
            default: Finish(new Done(Errno.EOPNOTSUPP)); break;
        }
    }

    /// <summary>Answers the request in progress and starts the next one.</summary>
    private void Finish(object reply)
    {
        var replyTo = _replyTo ?? throw new InvalidOperationException("no IOAS request is in progress");
        _replyTo = null;
        replyTo.Tell(reply, Self);
        Drain();
    }

    /// <summary>Sends one request to a domain; <paramref name="then"/> runs with its reply.</summary>
    private void Call(IActorRef target, object request, Action<IReply> then)
    {
        if (_call is not null) throw new InvalidOperationException("the IOAS waits for one reply at a time");
        _call = (target, then);
        target.Tell(request, Self);
    }

    private void OnReply(IReply reply)
    {
        if (_call is not { } call || !call.Target.Equals(Sender))
        {
            Unhandled(reply);
            return;
        }
        _call = null;
        call.Then(reply);
    }

    /// <summary>
    /// Sends <paramref name="requests"/> to <paramref name="target"/> one after the other, each
    /// once the previous one succeeded; <paramref name="done"/> gets the first failure (or None)
    /// and how many succeeded.
    /// </summary>
    private void CallEach(IActorRef target, IReadOnlyList<object> requests, Action<Errno, int> done, int index = 0)
    {
        if (index == requests.Count)
        {
            done(Errno.None, index);
            return;
        }
        Call(target, requests[index], reply =>
        {
            if (reply.Errno != Errno.None) done(reply.Errno, index);
            else CallEach(target, requests, done, index + 1);
        });
    }

    /// <summary>
    /// Runs <paramref name="step"/> on each item in turn, each after the previous one called its
    /// continuation with success; <paramref name="done"/> gets the first failure (or None) and how
    /// many items succeeded. A step that completes at once recurses, once per item: the lists are
    /// an IOAS's areas or domains.
    /// </summary>
    private static void ForEach<T>(IReadOnlyList<T> items, Action<T, Action<Errno>> step, Action<Errno, int> done, int index = 0)
    {
        if (index == items.Count)
        {
            done(Errno.None, index);
            return;
        }
        step(items[index], error =>
        {
            if (error != Errno.None) done(error, index);
            else ForEach(items, step, done, index + 1);
        });
    }

    private bool Tracing(Type type) => Context.System.EventStream.HasSubscribers(type);

    private void Trace(object traceEvent) => Context.System.EventStream.Publish(traceEvent);

    private IoasInfo Info() => new(
        Errno.None,
        [.. _areas.Values.Select(a => a.Info())],
        [.. _domains.Select(d => d.Ref)],
        [.. _allowed],
        [.. _reserved.Select(r => r.Range).OrderBy(r => r.Start)],
        UsableRanges(),
        _iovaAlignment,
        _pinnedPages);
}
