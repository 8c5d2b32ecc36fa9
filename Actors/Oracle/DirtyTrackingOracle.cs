using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// DESIGN.md's dirty tracking invariant: every device write while dirty tracking is on is reported
/// by exactly one read-and-clear, none is lost and no dirty bit is reported twice.
/// </summary>
/// <remarks>
/// <para>The oracle shadows each domain's IOPTE dirty bits from the hardware's own events: a write
/// walk sets one (<see cref="IoPteDirtied"/>), a read finds and clears them
/// (<see cref="DirtyBitsRead"/>). A clearing read stays in flight until its IOTLB sync completed
/// (<see cref="DirtyReadSynced"/>): until then a device may still write through a cached
/// translation that was dirty when cached, without setting the bit again, and that write belongs
/// to the read in flight (its caller copies the page only after the answer, so after the write).
/// Then, once enabling tracking has synced (<see cref="DirtyTrackingChanged"/>):</para>
/// <list type="bullet">
/// <item>each device write (<see cref="DeviceDma"/>) must find its leaf's bit set or a read in
/// flight that cleared it, which is the one read that reports it; else the write is lost;</item>
/// <item>a read must find set every bit it reports (else it reports a bit twice, or one nothing
/// set) and must report every set bit in its range;</item>
/// <item>the bitmap the caller gets (<see cref="DirtyBitmapReported"/>) must hold every page of
/// every leaf the request read (else a bit was cleared without being reported) and nothing
/// else.</item>
/// </list>
/// <para>Unmapping a leaf drops its dirty state with it (the IOAS's unmap does not report dirty
/// bits; a VMM reads them before it unmaps), so <see cref="IovaUnmapped"/> forgets the leaves.</para>
/// </remarks>
public sealed class DirtyTrackingOracle : TraceOracle
{
    public const string InvariantName = "every-device-write-reported-once";

    private static readonly int[] LeafShifts = [PageSize.Size4K.Shift, PageSize.Size2M.Shift, PageSize.Size1G.Shift];

    private readonly Dictionary<IActorRef, DomainShadow> _domains = [];
    private readonly Dictionary<long, List<AddressRange>> _requests = [];

    private sealed class DomainShadow
    {
        /// <summary>Tracking is on in the hardware (since the switch, before its sync).</summary>
        public bool Tracking;

        /// <summary>Tracking is on and its enabling sync completed: every write must be recorded.</summary>
        public bool Checking;

        /// <summary>Leaves whose dirty bit is set: first IOVA to end.</summary>
        public readonly Dictionary<ulong, ulong> Dirty = [];

        /// <summary>Clearing reads whose IOTLB sync has not completed: their sequence and the leaves they cleared.</summary>
        public readonly Dictionary<long, List<AddressRange>> InFlight = [];
    }

    public override string Invariant => InvariantName;

    /// <summary>Device writes checked while tracking was on.</summary>
    public long WritesChecked { get; private set; }

    /// <summary>Of those, writes that a read in flight accounts for (through a translation cached dirty).</summary>
    public long WritesDuringReads { get; private set; }

    /// <summary>Dirty bits the hardware set.</summary>
    public long BitsSet { get; private set; }

    /// <summary>Dirty leaves reads found and cleared.</summary>
    public long BitsCleared { get; private set; }

    public static DirtyTrackingOracle Attach(EventStream events)
    {
        var oracle = new DirtyTrackingOracle();
        oracle.Subscribe(events);
        return oracle;
    }

    protected override void Check(object e)
    {
        switch (e)
        {
            case DirtyTrackingChanged c:
                OnTrackingChanged(c);
                break;
            case IoPteDirtied d:
                OnDirtied(d);
                break;
            case DeviceDma { Write: true, Domain: { } domain } dma:
                OnWrite(domain, dma);
                break;
            case DirtyBitsRead r:
                OnRead(r);
                break;
            case DirtyReadSynced s:
                Shadow(s.Domain).InFlight.Remove(s.Sequence);
                break;
            case DirtyBitmapReported b:
                OnReported(b);
                break;
            case IovaUnmapped u when _domains.TryGetValue(u.Domain, out var shadow):
                foreach (var start in shadow.Dirty.Where(kv => u.Iova.Contains(new AddressRange(kv.Key, kv.Value))).Select(kv => kv.Key).ToList())
                    shadow.Dirty.Remove(start);
                break;
        }
    }

    /// <summary>Nothing to check at teardown: a bit still set is a write the next read would report.</summary>
    protected override void CheckAtTeardown()
    {
    }

    private DomainShadow Shadow(IActorRef domain)
    {
        if (!_domains.TryGetValue(domain, out var shadow)) _domains[domain] = shadow = new DomainShadow();
        return shadow;
    }

    private void OnTrackingChanged(DirtyTrackingChanged c)
    {
        var s = Shadow(c.Domain);
        if (!c.Synced)
        {
            s.Tracking = c.Enabled;
            s.Checking = false;
            if (c.Enabled) s.Dirty.Clear(); // iopt_clear_dirty_data: a clean snapshot
            return;
        }
        s.Checking = c.Enabled && s.Tracking;
    }

    private void OnDirtied(IoPteDirtied d)
    {
        var s = Shadow(d.Domain);
        BitsSet++;
        if (!s.Dirty.TryAdd(d.Leaf.Start, d.Leaf.End))
            Report($"the dirty bit of leaf {d.Leaf} in {Name(d.Domain)} was set again while the oracle still held it unreported: something cleared it without a read",
                [Name(d.Domain)], [d.Leaf.ToString()]);
    }

    private void OnWrite(IActorRef domain, DeviceDma dma)
    {
        if (!_domains.TryGetValue(domain, out var s) || !s.Checking) return;
        WritesChecked++;
        var iova = dma.Iova.Value;
        if (FindLeaf(s.Dirty, iova) is not null) return;
        if (s.InFlight.Values.Any(leaves => leaves.Any(l => l.Contains(iova))))
        {
            WritesDuringReads++;
            return;
        }
        Report($"device {dma.Device} wrote IOVA {dma.Iova} ({dma.Pfn}) through {Name(domain)} with dirty tracking on, but no dirty bit records it and no read in flight covers it: the write is lost",
            [dma.Device, Name(domain)], [dma.Iova.ToString()]);
    }

    private void OnRead(DirtyBitsRead r)
    {
        var s = Shadow(r.Domain);
        var found = new HashSet<ulong>();
        foreach (var leaf in r.Leaves)
        {
            found.Add(leaf.Start);
            if (!s.Dirty.ContainsKey(leaf.Start))
                Report($"read {r.Sequence} of {Name(r.Domain)} found leaf {leaf} dirty, but no write set its bit since it was last read: reported twice",
                    [Name(r.Domain)], [leaf.ToString()]);
        }
        foreach (var (start, end) in s.Dirty)
        {
            var leaf = new AddressRange(start, end);
            if (leaf.Overlaps(r.Range) && !found.Contains(start))
                Report($"read {r.Sequence} of {Name(r.Domain)} over {r.Range} missed dirty leaf {leaf}", [Name(r.Domain)], [leaf.ToString()]);
        }
        if (r.Cleared)
        {
            foreach (var leaf in r.Leaves) s.Dirty.Remove(leaf.Start);
            s.InFlight[r.Sequence] = [.. r.Leaves];
            BitsCleared += r.Leaves.Count;
        }
        if (r.Tag != 0)
        {
            if (!_requests.TryGetValue(r.Tag, out var leaves)) _requests[r.Tag] = leaves = [];
            leaves.AddRange(r.Leaves.Select(l => l.Intersect(r.Range)));
        }
    }

    private void OnReported(DirtyBitmapReported b)
    {
        _requests.Remove(b.Tag, out var leaves);
        leaves ??= [];
        var reported = new AddressRangeSet();
        foreach (var run in b.Dirty) reported.Add(run);
        foreach (var leaf in leaves)
        {
            // The pages of the bitmap's granularity that the leaf touches.
            var first = b.Range.Start + (leaf.Start - b.Range.Start) / b.PageSize * b.PageSize;
            var last = b.Range.Start + ((leaf.End - 1 - b.Range.Start) / b.PageSize + 1) * b.PageSize;
            var pages = new AddressRange(first, Math.Min(last, b.Range.End));
            if (!reported.Covers(pages))
                Report($"request {b.Tag} of {Name(b.Reader)} cleared dirty leaf {leaf} but its bitmap does not report all of {pages}: dirty bits cleared without being reported",
                    [Name(b.Reader)], [leaf.ToString()]);
        }
        foreach (var run in b.Dirty.Where(run => !leaves.Any(l => l.Overlaps(run))))
            Report($"request {b.Tag} of {Name(b.Reader)} reports {run} dirty, but no leaf there was read dirty", [Name(b.Reader)], [run.ToString()]);
    }

    /// <summary>The dirty leaf holding <paramref name="iova"/>: leaves are aligned to their size, so one lookup per page size finds it.</summary>
    private static AddressRange? FindLeaf(Dictionary<ulong, ulong> dirty, ulong iova)
    {
        foreach (var shift in LeafShifts)
        {
            var start = iova & ~((1UL << shift) - 1);
            if (dirty.TryGetValue(start, out var end) && iova < end) return new AddressRange(start, end);
        }
        return null;
    }

    private static string Name(IActorRef actor) => actor.Path.Name;
}
