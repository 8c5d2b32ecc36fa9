using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// struct hmm_domain (seed 000, mm/hmm.c): the mirrors of one mm whose devices sit behind one
/// IOMMU domain, sharing one set of DMA mappings. The domain table (an <see cref="HmmPageTable"/>
/// with a 2 MiB granule, one entry per leaf directory of the HMM table) holds the IOVA base of
/// each mapped directory; the directory's page refcount is the number of its pages mapped.
/// </summary>
/// <remarks>
/// <para><b>Serialisation.</b> The seed locks each domain entry (hmm_dpte_lock) and excludes
/// faults from updates with gpt_lock_fault / gpt_lock_update. Here one request runs at a time:
/// while the IOMMU domain has not answered, every other request waits in a queue, so an
/// invalidation can never slip between a directory's IOVA allocation and its mapping.</para>
/// <para><b>Safety.</b> MUNMAP, MIGRATE and RELEASE unmap the pages of the range through the
/// IOMMU domain, whose answer comes only after the IOTLB and device TLBs were flushed and
/// synced; only then is <see cref="InvalidationFence"/> sent. A <see cref="MapDirectory"/> whose
/// pages were read before an invalidation of an overlapping range that this domain already
/// handled is refused with EAGAIN (the mirror faults again), since the mm may have freed them.</para>
/// <para><b>Difference from the seed.</b> hmm_domain_unmap unmaps whole directories; the model
/// unmaps only the invalidated pages of a partly covered directory, so that the other mirrors'
/// pages in it keep their IOVA, and frees the directory's IOVA range when its last page goes.</para>
/// </remarks>
public sealed partial class HmmDomainActor : ReceiveActor
{
    private readonly IActorRef _iommuDomain;
    private readonly HmmDomainOptions _options;
    private readonly HmmPageTable _table;
    private readonly Dictionary<IActorRef, string> _mirrors = [];
    // gpt_ptp_batch_ref's counts: pages mapped per directory (keyed by the directory's start).
    private readonly Dictionary<ulong, int> _refs = [];
    // Requests that arrived while one was waiting for the IOMMU domain, oldest first. (Not the
    // stash: on the deterministic dispatcher unstashed messages compete with new ones, and a
    // sender's requests must be handled in the order it sent them.)
    private readonly Queue<(object Request, IActorRef ReplyTo)> _deferred = new();

    private long _mappedPages;
    private long _mapCalls;
    private long _updateCalls;
    private long _unmapCalls;
    private bool _iommuGone;
    private bool _retired;

    // The IOMMU domain's answer the current request waits for, and what to do with it.
    private Type? _awaiting;
    private Action<object?>? _continuation;

    /// <param name="iommuDomain">The IommuDomainActor the mirrors' devices are attached to.</param>
    public HmmDomainActor(IActorRef iommuDomain, HmmDomainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(iommuDomain);
        _iommuDomain = iommuDomain;
        _options = options ?? HmmDomainOptions.Default;
        _table = new HmmPageTable(_options.Last, _options.Policy, HmmPtGeometry.DomainGranuleShift);

        Receive<GetHmmDomainStats>(_ => Sender.Tell(Stats(), Self));
        Receive<Terminated>(OnTerminated);
        ReceiveAny(OnMessage);
    }

    /// <summary>Props for an HMM domain; <c>d =&gt; HmmDomainActor.Props(d)</c> is the factory an mm takes.</summary>
    public static Props Props(IActorRef iommuDomain, HmmDomainOptions? options = null) =>
        Runtime.Props.Create(() => new HmmDomainActor(iommuDomain, options));

    protected override void PreStart() => Context.Watch(_iommuDomain);

    private void OnMessage(object message)
    {
        if (_awaiting is { } expected && expected.IsInstanceOfType(message) && Sender.Equals(_iommuDomain))
        {
            Continue(message);
            return;
        }
        if (!IsRequest(message))
        {
            Unhandled(message);
            return;
        }
        if (_awaiting is not null || _deferred.Count > 0)
        {
            _deferred.Enqueue((message, Sender));
            return;
        }
        Handle(message, Sender);
    }

    private static bool IsRequest(object message) =>
        message is MapDirectory or MmuInvalidate or AddDomainMirror or RemoveDomainMirror;

    private void Handle(object request, IActorRef replyTo)
    {
        switch (request)
        {
            case MapDirectory map:
                OnMapDirectory(map, replyTo);
                break;
            case MmuInvalidate invalidate:
                OnInvalidate(invalidate, replyTo);
                break;
            case AddDomainMirror add:
                OnAddMirror(add, replyTo);
                break;
            case RemoveDomainMirror remove:
                OnRemoveMirror(remove, replyTo);
                break;
        }
    }

    private HmmDomainStats Stats() => new(
        Errno.None,
        _mirrors.Count,
        (int)_table.Counters.ValidEntries,
        _mappedPages,
        _mapCalls,
        _updateCalls,
        _unmapCalls);

    /// <summary>
    /// Sends a request to the IOMMU domain; until its answer of type <typeparamref name="T"/>
    /// arrives every other request waits, in order. <paramref name="then"/> gets null if the
    /// IOMMU domain stopped meanwhile (no device can translate through it any more).
    /// </summary>
    private void Await<T>(object request, Action<T?> then) where T : class
    {
        _awaiting = typeof(T);
        _continuation = reply => then(reply as T);
        _iommuDomain.Tell(request, Self);
    }

    private void Continue(object? reply)
    {
        var then = _continuation!;
        _awaiting = null;
        _continuation = null;
        then(reply);
        while (_awaiting is null && !_retired && _deferred.TryDequeue(out var next))
            Handle(next.Request, next.ReplyTo);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!terminated.ActorRef.Equals(_iommuDomain)) return;
        _iommuGone = true;
        if (_awaiting is not null) Continue(null);
    }

    /// <summary>hmm_add_mirror: the same device twice in one domain is -EINVAL (so is the same mirror).</summary>
    private void OnAddMirror(AddDomainMirror add, IActorRef replyTo)
    {
        if (_mirrors.ContainsKey(add.Mirror) || _mirrors.ContainsValue(add.DeviceName))
        {
            replyTo.Tell(new Done(Errno.EINVAL), Self);
            return;
        }
        _mirrors.Add(add.Mirror, add.DeviceName);
        replyTo.Tell(Done.Ok, Self);
    }

    /// <summary>
    /// hmm_del_mirror_locked; the last mirror frees the domain (hmm_free_domain_locked): everything
    /// is unmapped (and synced) before the answer, and the domain stops.
    /// </summary>
    private void OnRemoveMirror(RemoveDomainMirror remove, IActorRef replyTo)
    {
        if (!_mirrors.Remove(remove.Mirror))
        {
            replyTo.Tell(new DomainMirrorRemoved(Errno.EINVAL, _mirrors.Count), Self);
            return;
        }
        if (_mirrors.Count > 0)
        {
            replyTo.Tell(new DomainMirrorRemoved(Errno.None, _mirrors.Count), Self);
            return;
        }
        UnmapRange(new AddressRange(0, _table.Geometry.LastByte + 1), () =>
        {
            replyTo.Tell(new DomainMirrorRemoved(Errno.None, 0), Self);
            Retire();
        });
    }

    /// <summary>
    /// Stops the freed domain. Requests still waiting are answered first: an invalidation with its
    /// fence (nothing is mapped any more), any other request with ENODEV.
    /// </summary>
    private void Retire()
    {
        _retired = true;
        while (_deferred.TryDequeue(out var waiting))
        {
            var replyTo = waiting.ReplyTo;
            switch (waiting.Request)
            {
                case MmuInvalidate invalidate:
                    replyTo.Tell(new InvalidationFence(invalidate.Sequence), Self);
                    break;
                case MapDirectory:
                    replyTo.Tell(new DirectoryMapped(Errno.ENODEV, default, 0), Self);
                    break;
                case AddDomainMirror:
                    replyTo.Tell(new Done(Errno.ENODEV), Self);
                    break;
                case RemoveDomainMirror:
                    replyTo.Tell(new DomainMirrorRemoved(Errno.ENODEV, 0), Self);
                    break;
            }
        }
        Context.Stop(Self);
    }
}
