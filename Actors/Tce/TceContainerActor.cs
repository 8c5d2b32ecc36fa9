using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Tce;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Tce;

/// <summary>
/// The VFIO sPAPR TCE IOMMU container of one process (struct tce_container,
/// drivers/vfio/vfio_iommu_spapr_tce.c, the v1 container as seed 003 leaves it): it owns the TCE
/// tables of the IOMMU group attached to it, maps the process's memory into them with
/// MAP_DMA/UNMAP_DMA by TCE exchange, pinning each page it puts in an entry and releasing each one
/// an exchange hands back, and answers the PHB's TCE fetches.
/// </summary>
/// <remarks>
/// <para><b>Pages.</b> MAP_DMA names process virtual memory; the container asks the process's
/// <see cref="MmActor"/> to pin it (<see cref="PinUserPages"/>, the kernel's pin_user_pages in
/// tce_iommu_use_page), which faults and pins in one step of the mm, and installs the pins when
/// they arrive. It releases a page (unpin_user_page, tce_iommu_unuse_page) with the direction of
/// the entry that held it, marking it dirty when the device could write it (the review of seed 003).</para>
/// <para><b>Hardware.</b> The group's devices are attached on their unit (the PHB) with the
/// container as their domain: the unit's walker asks the container for TCEs (a TCE fetch reads
/// the table in memory) and caches them (the PHB's TCE cache) for tables that need software
/// invalidation. After a batch of exchanges the container kills the batch's range once
/// (iommu_tce_kill) with a sync (iommu_flush_tce), and releases the replaced pages only once the
/// unit has answered: a TCE fetch answered before an exchange reaches the unit before the kill,
/// which drops it, so no cached entry outlives the release of its page.</para>
/// <para><b>Order.</b> Requests run one at a time in arrival order (the ioctls of one process, the
/// container's lock); while one waits for its pins or its kill, the others wait in a queue. TCE
/// fetches and the answers the container waits for are handled at once. So when the container is
/// idle its pins are exactly the pages of its valid TCEs.</para>
/// </remarks>
public sealed partial class TceContainerActor : ReceiveActor
{
    private readonly PhysicalMemory _memory;
    private readonly IActorRef _mm;
    private readonly IReadOnlyDictionary<string, TceTableGroup> _platformGroups;
    private readonly TceContainerOptions _options;

    // The attached group (a v1 container holds one) and its tables (container->tables).
    private TceTableGroup? _group;

    // The request being served, and those waiting behind it, oldest first.
    private IActorRef? _replyTo;
    private string? _serving;
    private bool _tracing;
    private readonly Queue<(object Request, IActorRef ReplyTo)> _deferred = new();
    private bool _draining;

    // What the request in progress waits for.
    private Action<PinUserPagesReply>? _pinWait;
    private readonly Dictionary<long, Action> _killWaits = [];
    private readonly Queue<Action<Errno>> _unitWaits = new();
    private long _nextCookie;

    private long _pinsHeld;
    private long _exchanges;
    private long _kills;
    private long _pagesPinned;
    private long _pagesReleased;
    private long _pagesDirtied;
    private long _walks;

    /// <param name="memory">The machine's physical memory (pins are released on it).</param>
    /// <param name="mm">The process that opened the container (container->mm): MAP_DMA pins its pages.</param>
    /// <param name="platformGroups">The IOMMU groups the platform registered; a group is attached by name.</param>
    /// <param name="options">Memory limits and bug injection; <see cref="TceContainerOptions.Default"/> if null.</param>
    public TceContainerActor(PhysicalMemory memory, IActorRef mm, IEnumerable<TceTableGroup> platformGroups, TceContainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(platformGroups);
        _memory = memory;
        _mm = mm;
        _platformGroups = platformGroups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        _options = options ?? TceContainerOptions.Default;

        // Answers and TCE fetches are handled at once; requests in arrival order, one at a time.
        Receive<TranslateRange>(OnTranslateRange);
        Receive<PinUserPagesReply>(OnPinned);
        Receive<IotlbInvalidated>(OnKilled);
        Receive<UnitDeviceAttached>(a => OnUnitAnswer(a.Errno));
        Receive<UnitDeviceDetached>(d => OnUnitAnswer(d.Errno));
        ReceiveAny(m => OnRequest(m, Sender));
    }

    public static Props Props(PhysicalMemory memory, IActorRef mm, IEnumerable<TceTableGroup> platformGroups, TceContainerOptions? options = null) =>
        Runtime.Props.Create(() => new TceContainerActor(memory, mm, platformGroups, options));

    private static bool IsRequest(object message) => message is TceAttachGroup or TceDetachGroup or TceEnable or TceDisable
        or TceGetInfo or VfioMapDma or VfioUnmapDma or GetTceContainerStats;

    private void OnRequest(object message, IActorRef replyTo)
    {
        if (!IsRequest(message))
        {
            Unhandled(message);
            return;
        }
        if (_serving != null || _deferred.Count > 0)
        {
            _deferred.Enqueue((message, replyTo));
            return;
        }
        Serve(message, replyTo);
    }

    private void Serve(object request, IActorRef replyTo)
    {
        _replyTo = replyTo;
        _tracing = Context.System.EventStream.HasSubscribers(typeof(ITraceEvent));
        switch (request)
        {
            case TceAttachGroup a: _serving = "attach"; OnAttachGroup(a); break;
            case TceDetachGroup d: _serving = "detach"; OnDetachGroup(d); break;
            case TceEnable: _serving = "enable"; OnEnable(); break;
            case TceDisable: _serving = "disable"; OnDisable(); break;
            case TceGetInfo: _serving = "info"; OnGetInfo(); break;
            case VfioMapDma m: _serving = "map"; OnMapDma(m); break;
            case VfioUnmapDma u: _serving = "unmap"; OnUnmapDma(u); break;
            case GetTceContainerStats: _serving = "stats"; Finish(Stats()); break;
        }
    }

    /// <summary>Answers the request being served and serves the next one waiting.</summary>
    private void Finish(IReply reply)
    {
        // The event goes out before the answer, so a trace never shows what the answer caused first.
        if (_tracing) Publish(new TceRequestDone(Self, _serving!, reply.Errno));
        var replyTo = _replyTo!;
        _replyTo = null;
        _serving = null;
        replyTo.Tell(reply, Self);
        DrainDeferred();
    }

    private void Finish(Errno errno) => Finish(errno == Errno.None ? Done.Ok : new Done(errno));

    private void DrainDeferred()
    {
        if (_draining) return;
        _draining = true;
        try
        {
            while (_serving == null && _deferred.TryDequeue(out var next)) Serve(next.Request, next.ReplyTo);
        }
        finally
        {
            _draining = false;
        }
    }

    private TceContainerStats Stats() => new(
        Errno.None,
        _enabled,
        _group is null ? 0 : 1,
        _lockedPages,
        _pinsHeld,
        _group?.Tables.Sum(t => t.ValidEntries) ?? 0,
        _exchanges,
        _kills,
        _pagesPinned,
        _pagesReleased,
        _pagesDirtied,
        _walks);

    /// <summary>The table of the attached group whose window holds <paramref name="ioba"/> (tce_iommu_find_table).</summary>
    private TceTable? FindTable(ulong ioba)
    {
        if (_group is null) return null;
        foreach (var table in _group.Tables)
            if (table.ContainsIndex(ioba >> table.PageShift)) return table;
        return null;
    }

    private void Publish(ITraceEvent e) => Context.System.EventStream.Publish(e);

    /// <summary>
    /// The container is closed (tce_iommu_release): whatever is still mapped is cleared and its
    /// pages released at once, and the tables go back to the platform. A stopped actor cannot wait
    /// for the unit's kill; the unit blocks the devices and flushes the container's entries when it
    /// learns the container stopped. Tests and scenarios detach the group first, which waits.
    /// </summary>
    protected override void PostStop()
    {
        if (_group is not { } group) return;
        _tracing = Context.System.EventStream.HasSubscribers(typeof(ITraceEvent));
        var releases = new List<(Pfn, DmaDirection)>();
        foreach (var table in group.Tables)
        {
            var trace = _tracing ? new List<TceExchange>() : null;
            ClearEntries(table, table.Offset, table.Size, releases, trace);
            if (trace is { Count: > 0 }) Publish(new TceEntriesExchanged(Self, table.PageShift, trace));
        }
        Release(releases);
        group.ReleaseOwnership();
        _group = null;
    }
}
