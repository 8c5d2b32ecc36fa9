using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommu;

/// <summary>
/// The base of the IOMMU domain and HMM domain tests: one actor system per test, on the
/// thread-pool dispatcher or the deterministic one (each test class derives once per
/// dispatcher), a physical memory, and helpers to build units, devices and domains and to talk
/// to them from the test actor.
/// </summary>
public abstract class IommuKit(ITestOutputHelper output, bool deterministic, ulong seed = 1)
    : IommuSim.TestKit.DispatcherTestBase(output, deterministic, seed)
{
    public const ulong K4 = 0x1000;
    public const ulong M2 = 0x20_0000;
    public const ulong G1 = 0x4000_0000;

    protected PhysicalMemory Memory { get; } = new(4UL << 30);

    protected IommuUnitHandle Unit(string name = "iommu0", Func<IommuUnitConfig, IommuUnitConfig>? edit = null)
    {
        var config = new IommuUnitConfig(name, IommuUnitCapabilities.IntelVtd);
        return IommuUnitActor.Create(Sys, edit is null ? config : edit(config), Memory);
    }

    /// <summary>A device behind the unit, returned once the unit probed it.</summary>
    protected IActorRef Device(IommuUnitHandle unit, string name, int atcEntries = 0)
    {
        var device = Sys.ActorOf(DeviceActor.Props(new DeviceOptions(name) { AtcEntries = atcEntries }, unit, Memory), name);
        Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
        return device;
    }

    protected IActorRef Domain(IommuUnitHandle unit, IommuDomainOptions? options = null, string? name = null) =>
        Sys.ActorOf(IommuDomainActor.Props(unit, options), name);

    protected IActorRef Domain(IommuUnitHandle unit, IommuDomainType type, string? name = null) =>
        Domain(unit, new IommuDomainOptions { Type = type }, name);

    protected Errno Attach(IActorRef domain, string device, IommuUnitHandle unit) =>
        Call<Done>(domain, new AttachDevice(device, unit.Name)).Errno;

    protected Errno Map(IActorRef domain, ulong iova, Pfn pfn, ulong size, IommuProt prot = IommuProt.Read | IommuProt.Write) =>
        Call<Done>(domain, new IommuMap(new Iova(iova), pfn.ToPhys(), size, prot)).Errno;

    protected IommuUnmapped Unmap(IActorRef domain, ulong iova, ulong size) =>
        Call<IommuUnmapped>(domain, new IommuUnmap(new Iova(iova), size));

    protected DmaCompleted Read(IActorRef device, ulong iova, int pages) => Call<DmaCompleted>(device, new DmaRead(new Iova(iova), pages));

    protected DmaCompleted Write(IActorRef device, ulong iova, params ulong[] values) => Call<DmaCompleted>(device, new DmaWrite(new Iova(iova), values));

    protected IommuDomainStats DomainStats(IActorRef domain) => Call<IommuDomainStats>(domain, new GetIommuDomainStats());

    protected IommuUnitStats UnitStats(IommuUnitHandle unit) => Call<IommuUnitStats>(unit.Ref, new GetIommuUnitStats());

    /// <summary>Fresh pages of host RAM, page i holding <c>seed + i</c>.</summary>
    protected Pfn[] Pages(int count, ulong seed = 0x1000)
    {
        var pages = new Pfn[count];
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Errno.None, Memory.AllocPage(out pages[i]));
            Memory.WritePage(pages[i], seed + (ulong)i);
        }
        return pages;
    }

    /// <summary><paramref name="count"/> physically contiguous, <paramref name="alignBytes"/>-aligned frames from host RAM (for huge mappings).</summary>
    protected Pfn ContiguousPages(ulong count, ulong alignBytes)
    {
        var align = alignBytes >> PageSize.BaseShift;
        while (true)
        {
            Assert.Equal(Errno.None, Memory.AllocPage(out var pfn));
            if (pfn.Value % align != 0) continue;
            for (ulong i = 1; i < count; i++)
            {
                Assert.Equal(Errno.None, Memory.AllocPage(out var next));
                Assert.Equal(pfn + i, next);
            }
            return pfn;
        }
    }

    protected ulong ValueOf(Pfn pfn)
    {
        Assert.Equal(Errno.None, Memory.ReadPage(pfn, out var value));
        return value;
    }

    /// <summary>Records the trace events of the given types, in publication order.</summary>
    protected sealed class TraceLog : IDisposable
    {
        private readonly List<object> _events = [];
        private readonly List<IDisposable> _subscriptions = [];

        public TraceLog(ActorSystem system, params Type[] types)
        {
            foreach (var type in types)
                _subscriptions.Add(system.EventStream.Subscribe(type, e =>
                {
                    lock (_events) _events.Add(e);
                }));
        }

        public IReadOnlyList<object> Events
        {
            get
            {
                lock (_events) return [.. _events];
            }
        }

        public void Dispose()
        {
            foreach (var s in _subscriptions) s.Dispose();
        }
    }

    /// <summary>The DMA safety check over trace events (see <see cref="IommuKitSafety"/>).</summary>
    protected static List<string> SafetyViolations(IEnumerable<object> events) => IommuKitSafety.Violations(events);
}

/// <summary>
/// The DMA safety check of DESIGN.md over trace events: no device accesses an IOVA of a domain
/// after that domain answered its unmap (until the IOVA is mapped again), and no access finds a
/// dead frame. Returns the violations.
/// </summary>
public static class IommuKitSafety
{
    public static List<string> Violations(IEnumerable<object> events)
    {
        var unmapped = new Dictionary<IActorRef, List<AddressRange>>();
        var violations = new List<string>();
        foreach (var e in events)
        {
            switch (e)
            {
                case IovaUnmapped u:
                    if (!unmapped.TryGetValue(u.Domain, out var list)) unmapped[u.Domain] = list = [];
                    list.Add(u.Iova);
                    break;
                case IovaMapped m when unmapped.TryGetValue(m.Domain, out var ranges):
                    // Mapped again: what is left of each unmapped range outside the new mapping.
                    var left = new List<AddressRange>();
                    foreach (var r in ranges)
                    {
                        if (!r.Overlaps(m.Iova))
                        {
                            left.Add(r);
                            continue;
                        }
                        if (r.Start < m.Iova.Start) left.Add(new AddressRange(r.Start, m.Iova.Start));
                        if (r.End > m.Iova.End) left.Add(new AddressRange(m.Iova.End, r.End));
                    }
                    unmapped[m.Domain] = left;
                    break;
                case DeviceDma d:
                    if (!d.PageLive) violations.Add($"{d.Device} touched dead frame {d.Pfn} at {d.Iova}");
                    if (d.Domain is not null && unmapped.TryGetValue(d.Domain, out var gone) && gone.Any(r => r.Contains(d.Iova.Value)))
                        violations.Add($"{d.Device} translated {d.Iova} after its unmap was answered");
                    break;
            }
        }
        return violations;
    }
}
