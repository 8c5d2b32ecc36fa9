using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// The DMA safety check of DESIGN.md ("no device reads or writes a page after the invalidation
/// that removed its mapping completed"), fed by the trace events on an actor system's
/// EventStream. For every <see cref="DmaAccess"/> it checks that the page is live with the
/// generation the mm handed out, and that no invalidation of the address with a later sequence
/// than the mapping's has completed (for WRITE_PROTECT, only writes count); a breach becomes a
/// <see cref="DmaViolation"/> naming the device, the pfn, the invalidation and the last events.
/// The IOMMU side's events (<see cref="DeviceDma"/> by IOVA, <see cref="IovaUnmapped"/>,
/// <see cref="IovaMapped"/>, <see cref="IotlbFlushed"/>) are checked too: see DmaSafetyOracle.Iommu.cs.
/// </summary>
/// <remarks>
/// <b>Thread safety.</b> This is a plain object, not an actor: it must see each access at the
/// moment the device makes it, in causal order with the invalidations, which an actor
/// subscriber (a mailbox later) would not. The event stream calls it synchronously on each
/// publishing thread, and on the thread-pool dispatcher the mm and several mirrors publish from
/// different threads at once, so every event is handled under one lock. Causality makes the
/// order right: a mirror publishes an access before it fences the invalidation that ends the
/// mapping, and the mm publishes the invalidation's end only after that fence. The lock is held
/// for a few dictionary operations per event and never while calling out.
/// </remarks>
public sealed partial class DmaSafetyOracle : IDisposable
{
    private const int RecentCapacity = 24;
    private const int CompletedCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<IActorRef, MmHistory> _mms = [];
    private readonly Queue<string> _recent = new();
    private readonly List<DmaViolation> _violations = [];
    private IDisposable? _subscription;
    private long _accesses;
    private long _invalidations;
    private long _pagesFreed;

    // Every event handled so far: orders a page's free against an IOVA's last map.
    private long _events;

    private sealed class MmHistory
    {
        public Dictionary<long, IReadOnlyList<InvalidationRange>> Running { get; } = [];

        // Completed invalidations, oldest first, at most CompletedCapacity of them.
        public Queue<(long Sequence, IReadOnlyList<InvalidationRange> Ranges)> Completed { get; } = new();
    }

    /// <summary>Subscribes a new oracle to every trace event of <paramref name="events"/>; dispose it to unsubscribe.</summary>
    public static DmaSafetyOracle Attach(EventStream events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var oracle = new DmaSafetyOracle();
        oracle._subscription = events.Subscribe(typeof(ITraceEvent), oracle.OnEvent);
        return oracle;
    }

    public IReadOnlyList<DmaViolation> Violations
    {
        get
        {
            lock (_lock) return [.. _violations];
        }
    }

    public long Accesses
    {
        get
        {
            lock (_lock) return _accesses;
        }
    }

    public long InvalidationsCompleted
    {
        get
        {
            lock (_lock) return _invalidations;
        }
    }

    public long PagesFreed
    {
        get
        {
            lock (_lock) return _pagesFreed;
        }
    }

    /// <summary>Handles one event; the event stream calls it, tests may too.</summary>
    public void OnEvent(object e)
    {
        lock (_lock)
        {
            switch (e)
            {
                case DmaAccess a:
                    _accesses++;
                    Check(a);
                    break;
                case InvalidationStarted s:
                    History(s.Mm).Running[s.Sequence] = s.Ranges;
                    break;
                case InvalidationEnded end:
                {
                    var h = History(end.Mm);
                    h.Running.Remove(end.Sequence);
                    h.Completed.Enqueue((end.Sequence, end.Ranges));
                    if (h.Completed.Count > CompletedCapacity) h.Completed.Dequeue();
                    _invalidations++;
                    break;
                }
                case PageFreed f:
                    _pagesFreed++;
                    OnPageFreed(f);
                    break;
                default:
                    OnIommuEvent(e);
                    break;
            }
            _events++;
            Remember(e);
        }
    }

    private void Check(DmaAccess a)
    {
        var removedBy = RemovingInvalidation(a);
        var freed = !a.PageLive || a.Generation != a.MappedGeneration;
        if (!freed && removedBy == null) return;
        var kind = a.Write ? "write" : "read";
        var page = freed
            ? (a.PageLive ? $"the page was freed and reused (generation {a.MappedGeneration} -> {a.Generation})" : "the page is free")
            : "the page is still allocated";
        var message = removedBy is { } seq
            ? $"DMA {kind} to {a.Pfn} at {a.Address} by device {a.Device} after the invalidation (seq {seq}) that removed it completed; {page}"
            : $"DMA {kind} to {a.Pfn} at {a.Address} by device {a.Device} while its invalidation was still running: {page}";
        _violations.Add(new DmaViolation(a.Device, a.Pfn, a.Address, removedBy, message, [.. _recent, Describe(a)]));
    }

    // The first completed invalidation after the mapping's sequence that covers the address and
    // removes the access's permission.
    private long? RemovingInvalidation(DmaAccess a)
    {
        if (!_mms.TryGetValue(a.Mm, out var h)) return null;
        foreach (var (seq, ranges) in h.Completed)
        {
            if (seq <= a.MapSequence) continue;
            foreach (var r in ranges)
            {
                if (!r.Range.Contains(a.Address.Value)) continue;
                if (r.Event != InvalidationEvent.WriteProtect || a.Write) return seq;
            }
        }
        return null;
    }

    private MmHistory History(IActorRef mm)
    {
        if (!_mms.TryGetValue(mm, out var h)) _mms[mm] = h = new MmHistory();
        return h;
    }

    private void Remember(object e)
    {
        _recent.Enqueue(Describe(e));
        if (_recent.Count > RecentCapacity) _recent.Dequeue();
    }

    private static string Describe(object e) => e switch
    {
        DmaAccess a => $"dma {(a.Write ? "write" : "read")} {a.Device} {a.Address} {a.Pfn} gen {a.MappedGeneration}->{a.Generation}{(a.PageLive ? "" : " (free)")} mapped@seq {a.MapSequence}",
        InvalidationStarted s => $"invalidate start seq {s.Sequence} [{string.Join(", ", s.Ranges)}] to {s.Receivers} receivers",
        InvalidationEnded end => $"invalidate end seq {end.Sequence} [{string.Join(", ", end.Ranges)}]",
        FenceReceived f => $"fence seq {f.Sequence} from {f.From.Path.Name}",
        PageFreed p => $"free {p.Pfn} gen {p.Generation}",
        MirrorCommitted c => $"commit {c.Device} {c.Range} read@seq {c.ReadSequence}{(c.SequenceChecked ? "" : " (unchecked)")}",
        _ => DescribeIommu(e),
    };

    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
    }
}
