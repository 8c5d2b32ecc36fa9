using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// DESIGN.md's "pinned pages equal valid TCEs; every pin is released exactly once" for the VFIO
/// sPAPR containers of a run (seed 003), and the dirty mark on release, checked on the trace
/// events (<see cref="TcePagesPinned"/>, <see cref="TceEntriesExchanged"/>,
/// <see cref="TcePagesReleased"/>, <see cref="TceRequestDone"/>, and the units' <see cref="DeviceDma"/>).
/// </summary>
/// <remarks>
/// <para>Per container the oracle keeps the pins it holds, split three ways: the pages of its valid
/// TCEs, the pages an exchange handed back that wait for the kill before their release, and the
/// pages pinned for a MAP_DMA and not installed yet. At every event it checks that:</para>
/// <list type="bullet">
/// <item>an entry becomes valid only with a page the container holds a pin for and has not
/// installed yet (and that physical memory counts as pinned);</item>
/// <item>an exchange hands back exactly the page the oracle saw in that entry;</item>
/// <item>every release is of a page handed back by an exchange (with that entry's direction) or
/// pinned and never installed: a second release of the same pin, or of one never held, is a
/// violation; a page released from an entry the device could write (DMA_FROM_DEVICE or
/// DMA_BIDIRECTIONAL) must be dirty (<see cref="DirtyInvariant"/>);</item>
/// <item>when a request is answered, nothing is in flight: the pins equal the valid TCEs exactly;</item>
/// <item>a device DMA through the container reaches the page of the entry that translates it,
/// or a page still waiting for its kill: never a page whose pin the container released.</item>
/// </list>
/// <para><see cref="CheckTeardown"/> adds that no pin and no valid TCE is left.</para>
/// <para>Thread safety: like <see cref="DmaSafetyOracle"/>, a plain object called synchronously
/// by each publishing thread (the containers, the units), so every event is handled under one
/// lock; causality orders a DMA before the kill answer that lets its page go.</para>
/// </remarks>
public sealed class TcePinOracle : IInvariantOracle
{
    /// <summary>The invariant's name, as reports print it.</summary>
    public const string PinInvariant = "pinned-equals-valid-tces";

    /// <summary>The name of the dirty-on-release rule's violations.</summary>
    public const string DirtyInvariant = "tce-dirty-on-release";

    private const int RecentCapacity = 24;

    private readonly Lock _lock = new();
    private readonly PhysicalMemory? _memory;
    private readonly Dictionary<IActorRef, ContainerState> _containers = [];
    private readonly Queue<string> _recent = new();
    private readonly List<InvariantViolation> _violations = [];
    private IDisposable? _subscription;
    private long _exchanges;
    private long _releases;
    private long _dmaChecked;
    // _containers.Count, readable without the lock (written under it).
    private int _containerCount;

    private sealed class ContainerState(IActorRef container)
    {
        public IActorRef Container { get; } = container;

        // Valid entries: (page shift, entry index) -> page and direction.
        public Dictionary<(int Shift, ulong Index), (Pfn Pfn, DmaDirection Direction)> Entries { get; } = [];

        public HashSet<int> Shifts { get; } = [];

        // Pages handed back by exchanges, waiting for the kill and their release, with the direction they had.
        public Dictionary<Pfn, List<DmaDirection>> Pending { get; } = [];

        // Pages pinned for a MAP_DMA and not installed yet.
        public Dictionary<Pfn, int> Fresh { get; } = [];

        public long Held { get; set; }

        public int PendingCount => Pending.Values.Sum(l => l.Count);

        public int FreshCount => Fresh.Values.Sum();
    }

    /// <param name="memory">When given, an entry made valid must also be pinned in physical memory.</param>
    public TcePinOracle(PhysicalMemory? memory = null) => _memory = memory;

    /// <summary>Subscribes a new oracle to every trace event of <paramref name="events"/>; dispose it to unsubscribe.</summary>
    public static TcePinOracle Attach(EventStream events, PhysicalMemory? memory = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var oracle = new TcePinOracle(memory);
        oracle._subscription = events.Subscribe(typeof(ITraceEvent), oracle.OnEvent);
        return oracle;
    }

    public string Invariant => PinInvariant;

    public IReadOnlyList<InvariantViolation> Violations
    {
        get
        {
            lock (_lock) return [.. _violations];
        }
    }

    /// <summary>TCE exchanges seen.</summary>
    public long Exchanges
    {
        get
        {
            lock (_lock) return _exchanges;
        }
    }

    /// <summary>Pin releases seen.</summary>
    public long Releases
    {
        get
        {
            lock (_lock) return _releases;
        }
    }

    /// <summary>Device DMA pages through a container checked.</summary>
    public long DmaChecked
    {
        get
        {
            lock (_lock) return _dmaChecked;
        }
    }

    /// <summary>Handles one event; the event stream calls it, tests may too.</summary>
    public void OnEvent(object e)
    {
        // Until a container has traced anything there is nothing to check, and a run without one
        // (every scenario without TCE) should not pay for formatting its DMA into the recent events.
        if (e is not (TcePagesPinned or TceEntriesExchanged or TcePagesReleased or TceRequestDone) && Volatile.Read(ref _containerCount) == 0) return;
        lock (_lock)
        {
            Remember(e);
            switch (e)
            {
                case TcePagesPinned p:
                {
                    var c = State(p.Container);
                    foreach (var pfn in p.Pages) c.Fresh[pfn] = c.Fresh.GetValueOrDefault(pfn) + 1;
                    c.Held += p.Pages.Count;
                    break;
                }
                case TceEntriesExchanged x:
                    OnExchanged(State(x.Container), x);
                    break;
                case TcePagesReleased r:
                    OnReleased(State(r.Container), r);
                    break;
                case TceRequestDone done:
                    OnRequestDone(State(done.Container), done);
                    break;
                case DeviceDma d when d.Domain is { } domain && _containers.TryGetValue(domain, out var c):
                    OnDma(c, d);
                    break;
            }
        }
    }

    private void OnExchanged(ContainerState c, TceEntriesExchanged x)
    {
        c.Shifts.Add(x.PageShift);
        foreach (var ex in x.Exchanges)
        {
            _exchanges++;
            var key = (x.PageShift, ex.Ioba >> x.PageShift);
            var known = c.Entries.TryGetValue(key, out var entry);
            if (ex.OldDirection != DmaDirection.None)
            {
                if (!known || entry.Pfn != ex.Old.Pfn)
                    Report(PinInvariant, c, $"the exchange at ioba {AddressFormat.Hex(ex.Ioba)} handed back {ex.Old.Pfn} ({ex.OldDirection.KernelName()}), " +
                        $"but the entry held {(known ? entry.Pfn.ToString() : "nothing valid")}", ex.Old.Pfn);
                Add(c.Pending, ex.Old.Pfn, ex.OldDirection);
                c.Entries.Remove(key);
            }
            else if (known)
            {
                Report(PinInvariant, c, $"the exchange at ioba {AddressFormat.Hex(ex.Ioba)} reported an empty entry, but it held {entry.Pfn}", entry.Pfn);
                c.Entries.Remove(key);
            }
            if (ex.NewDirection == DmaDirection.None) continue;
            var pfn = ex.New.Pfn;
            if (c.Fresh.GetValueOrDefault(pfn) > 0) Decrement(c.Fresh, pfn);
            else Report(PinInvariant, c, $"ioba {AddressFormat.Hex(ex.Ioba)} became a valid TCE for {pfn} without a pin the container held for it", pfn);
            if (_memory is { } memory && memory.PagePinCount(pfn) == 0)
                Report(PinInvariant, c, $"ioba {AddressFormat.Hex(ex.Ioba)} became a valid TCE for {pfn}, which physical memory does not count as pinned", pfn);
            c.Entries[key] = (pfn, ex.NewDirection);
        }
    }

    private void OnReleased(ContainerState c, TcePagesReleased r)
    {
        foreach (var release in r.Releases)
        {
            _releases++;
            var pfn = release.Pfn;
            if (release.Errno != Errno.None)
                Report(PinInvariant, c, $"the release of {pfn} failed with {release.Errno.Describe()}", pfn);
            var matched = release.Direction != DmaDirection.None
                ? RemoveDirection(c.Pending, pfn, release.Direction)
                : c.Fresh.GetValueOrDefault(pfn) > 0 && Decrement(c.Fresh, pfn);
            if (matched) c.Held--;
            else Report(PinInvariant, c, $"the pin of {pfn} was released ({release.Direction.KernelName()}) but no exchange handed it back " +
                "and no unused pin was left: released twice, or never held", pfn);
            if (release.Direction.DeviceMayWrite() && !release.Dirty)
                Report(DirtyInvariant, c, $"{pfn} was released from a {release.Direction.KernelName()} TCE without the dirty mark: " +
                    "what the device wrote may be lost", pfn);
        }
    }

    private void OnRequestDone(ContainerState c, TceRequestDone done)
    {
        var pending = c.PendingCount;
        var fresh = c.FreshCount;
        if (pending != 0 || fresh != 0 || c.Held != c.Entries.Count)
            Report(PinInvariant, c, $"after the {done.Request} request ({done.Errno.Describe()}) the container holds {c.Held} pins for " +
                $"{c.Entries.Count} valid TCEs: {pending} replaced and not released, {fresh} pinned and not installed",
                [.. c.Pending.Keys, .. c.Fresh.Keys]);
    }

    private void OnDma(ContainerState c, DeviceDma d)
    {
        _dmaChecked++;
        foreach (var shift in c.Shifts)
            if (c.Entries.TryGetValue((shift, d.Iova.Value >> shift), out var entry) && entry.Pfn == d.Pfn) return;
        if (c.Pending.ContainsKey(d.Pfn)) return;
        Report(PinInvariant, c, $"device {d.Device} {(d.Write ? "wrote" : "read")} {d.Pfn} at IOVA {d.Iova} through a TCE the container " +
            $"no longer holds a pin for (the page is {(d.PageLive ? "still allocated" : "free")})", d.Pfn);
    }

    public void CheckTeardown()
    {
        lock (_lock)
        {
            foreach (var c in _containers.Values)
            {
                if (c.Held != 0)
                    Report(PinInvariant, c, $"{c.Held} pins were never released at teardown ({c.Entries.Count} valid TCEs left)",
                        [.. c.Entries.Values.Select(v => v.Pfn), .. c.Pending.Keys, .. c.Fresh.Keys]);
                else if (c.Entries.Count != 0)
                    Report(PinInvariant, c, $"{c.Entries.Count} valid TCEs are left at teardown", [.. c.Entries.Values.Select(v => v.Pfn)]);
            }
        }
    }

    private ContainerState State(IActorRef container)
    {
        if (!_containers.TryGetValue(container, out var c))
        {
            _containers[container] = c = new ContainerState(container);
            Volatile.Write(ref _containerCount, _containers.Count);
        }
        return c;
    }

    private static void Add(Dictionary<Pfn, List<DmaDirection>> pending, Pfn pfn, DmaDirection direction)
    {
        if (!pending.TryGetValue(pfn, out var list)) pending[pfn] = list = [];
        list.Add(direction);
    }

    private static bool RemoveDirection(Dictionary<Pfn, List<DmaDirection>> pending, Pfn pfn, DmaDirection direction)
    {
        if (!pending.TryGetValue(pfn, out var list) || !list.Remove(direction)) return false;
        if (list.Count == 0) pending.Remove(pfn);
        return true;
    }

    private static bool Decrement(Dictionary<Pfn, int> counts, Pfn pfn)
    {
        var n = counts[pfn] - 1;
        if (n == 0) counts.Remove(pfn);
        else counts[pfn] = n;
        return true;
    }

    private void Report(string invariant, ContainerState c, string message, params Pfn[] pages) =>
        _violations.Add(new InvariantViolation(invariant, message, [c.Container.Path.ToString()],
            [.. pages.Select(p => p.ToString())], [.. _recent]));

    private void Remember(object e)
    {
        var text = e switch
        {
            TcePagesPinned p => $"tce pinned {p.Container.Path.Name}: {string.Join(", ", p.Pages)}",
            TceEntriesExchanged x => $"tce exchanged {x.Container.Path.Name}: {string.Join("; ", x.Exchanges)}",
            TcePagesReleased r => $"tce released {r.Container.Path.Name}: {string.Join(", ", r.Releases)}",
            TceRequestDone d => $"tce {d.Request} done {d.Container.Path.Name}: {d.Errno}",
            DeviceDma d => $"device dma {(d.Write ? "write" : "read")} {d.Device} iova {d.Iova} {d.Pfn}{(d.PageLive ? "" : " (free)")}",
            IotlbFlushed f => $"iotlb sync {f.Unit} did {f.DomainId}: {f.Commands.Count} commands",
            _ => null,
        };
        if (text is null) return;
        _recent.Enqueue(text);
        if (_recent.Count > RecentCapacity) _recent.Dequeue();
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
    }
}
