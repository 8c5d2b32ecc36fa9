using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// DESIGN.md's "pinned pages equal mapped areas" for iommufd IOASes: while an area exists every
/// page of it is pinned and every domain of its IOAS maps its IOVA; an area leaves every domain
/// (IOTLB synced: <see cref="IovaUnmapped"/> comes after the sync) before its pages are
/// unpinned; and at a quiet point, and at teardown, each page's pin count is exactly the number
/// of areas that hold it.
/// </summary>
/// <remarks>
/// Pin counts are read from <see cref="PhysicalMemory"/> when an event arrives. While a run goes
/// on, another IOAS may have pinned a frame it has not yet announced, so during the run only "at
/// least as many pins as areas" is checked; the exact count is checked by
/// <see cref="CheckQuiescent"/> and at teardown, which assume that only IOASes pin these frames.
/// </remarks>
public sealed class IoasPinOracle(PhysicalMemory memory) : TraceOracle
{
    public const string InvariantName = "pinned-pages-equal-mapped-areas";

    private readonly Dictionary<IActorRef, IoasShadow> _ioases = [];
    private readonly Dictionary<IActorRef, AddressRangeSet> _mapped = [];
    private readonly Dictionary<Pfn, int> _expected = [];

    private sealed class IoasShadow
    {
        public readonly Dictionary<ulong, (IovaRange Iova, IReadOnlyList<Pfn> Pages)> Areas = [];
        public readonly HashSet<IActorRef> Domains = [];
    }

    public override string Invariant => InvariantName;

    /// <summary>Area events checked.</summary>
    public long AreaEvents { get; private set; }

    public static IoasPinOracle Attach(EventStream events, PhysicalMemory memory)
    {
        var oracle = new IoasPinOracle(memory);
        oracle.Subscribe(events);
        return oracle;
    }

    /// <summary>With nothing in flight: every page's pin count is exactly the number of areas holding it.</summary>
    public void CheckQuiescent()
    {
        OnEvent(Quiescent.Instance);
    }

    private sealed class Quiescent
    {
        public static readonly Quiescent Instance = new();
        public override string ToString() => "quiescent check";
    }

    protected override void Check(object e)
    {
        switch (e)
        {
            case IovaMapped m:
                Mapped(m.Domain).Add(m.Iova);
                break;
            case IovaUnmapped u:
                Mapped(u.Domain).Remove(u.Iova);
                break;
            case IoasDomainAttached a:
                Ioas(a.Ioas).Domains.Add(a.Domain);
                foreach (var area in Ioas(a.Ioas).Areas.Values.Where(area => !Mapped(a.Domain).Covers(area.Iova.ToAddressRange())))
                    Report($"{Name(a.Domain)} joined {Name(a.Ioas)} without area {area.Iova} mapped", [Name(a.Ioas), Name(a.Domain)], [area.Iova.ToString()]);
                break;
            case IoasDomainDetached d:
                Ioas(d.Ioas).Domains.Remove(d.Domain);
                foreach (var area in Ioas(d.Ioas).Areas.Values.Where(area => Mapped(d.Domain).Overlaps(area.Iova.ToAddressRange())))
                    Report($"{Name(d.Domain)} left {Name(d.Ioas)} still mapping area {area.Iova}", [Name(d.Ioas), Name(d.Domain)], [area.Iova.ToString()]);
                break;
            case IoasAreaMapped a:
                OnAreaMapped(a);
                break;
            case IoasAreaUnmapped u:
                OnAreaUnmapped(u);
                break;
            case Quiescent:
                CheckExact("at a quiet point");
                break;
        }
    }

    protected override void CheckAtTeardown()
    {
        foreach (var (ioas, shadow) in _ioases.Where(kv => kv.Value.Areas.Count > 0))
            Report($"{Name(ioas)} still holds {shadow.Areas.Count} areas at teardown", [Name(ioas)], shadow.Areas.Values.Select(a => a.Iova.ToString()));
        CheckExact("at teardown");
    }

    private void OnAreaMapped(IoasAreaMapped a)
    {
        AreaEvents++;
        var shadow = Ioas(a.Ioas);
        shadow.Areas[a.Iova.Start] = (a.Iova, a.Pages);
        foreach (var pfn in a.Pages) _expected[pfn] = _expected.GetValueOrDefault(pfn) + 1;
        foreach (var domain in shadow.Domains.Where(d => !Mapped(d).Covers(a.Iova.ToAddressRange())))
            Report($"{Name(a.Ioas)} announced area {a.Iova} while {Name(domain)} does not map all of it", [Name(a.Ioas), Name(domain)], [a.Iova.ToString()]);
        CheckPinned(a.Ioas, a.Pages);
    }

    private void OnAreaUnmapped(IoasAreaUnmapped u)
    {
        AreaEvents++;
        var shadow = Ioas(u.Ioas);
        if (!shadow.Areas.Remove(u.Iova.Start))
            Report($"{Name(u.Ioas)} unmapped area {u.Iova} that it never announced", [Name(u.Ioas)], [u.Iova.ToString()]);
        foreach (var domain in shadow.Domains.Where(d => Mapped(d).Overlaps(u.Iova.ToAddressRange())))
            Report($"{Name(u.Ioas)} unpinned area {u.Iova} while {Name(domain)} still maps part of it: a device could reach an unpinned page",
                [Name(u.Ioas), Name(domain)], [u.Iova.ToString()]);
        foreach (var pfn in u.Pages) _expected[pfn] = _expected.GetValueOrDefault(pfn) - 1;
        CheckPinned(u.Ioas, u.Pages);
    }

    /// <summary>Every page of the areas still holding it is pinned at least once per area.</summary>
    private void CheckPinned(IActorRef ioas, IReadOnlyList<Pfn> pages)
    {
        var short_ = pages.Distinct().Where(p => memory.PagePinCount(p) < _expected[p]).ToList();
        if (short_.Count > 0)
            Report($"{short_.Count} pages of {Name(ioas)}'s areas have fewer pins than areas holding them", [Name(ioas)], short_.Take(8).Select(p => p.ToString()));
    }

    private void CheckExact(string when)
    {
        var wrong = _expected.Where(kv => memory.PagePinCount(kv.Key) != kv.Value).ToList();
        if (wrong.Count > 0)
            Report($"{when}, {wrong.Count} pages have a pin count other than the number of areas holding them (e.g. {wrong[0].Key}: {memory.PagePinCount(wrong[0].Key)} pins, {wrong[0].Value} areas)",
                [], wrong.Take(8).Select(kv => kv.Key.ToString()));
    }

    private IoasShadow Ioas(IActorRef ioas)
    {
        if (!_ioases.TryGetValue(ioas, out var shadow)) _ioases[ioas] = shadow = new IoasShadow();
        return shadow;
    }

    private AddressRangeSet Mapped(IActorRef domain)
    {
        if (!_mapped.TryGetValue(domain, out var set)) _mapped[domain] = set = new AddressRangeSet();
        return set;
    }

    private static string Name(IActorRef actor) => actor.Path.Name;
}
