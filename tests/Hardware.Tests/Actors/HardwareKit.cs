using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>
/// The base of the unit and device actor tests: one actor system per test, on the thread-pool
/// dispatcher (TestKit) or the deterministic one in virtual time (DeterministicTestKit), with a physical
/// memory, and helpers to make units, devices and pages. Every test class derives twice, once per
/// dispatcher, so each test runs on both.
/// </summary>
public abstract class HardwareKit(ITestOutputHelper output, bool deterministic, ulong seed = 1)
    : IommuSim.TestKit.DispatcherTestBase(output, deterministic, seed)
{
    public const ulong K4 = 0x1000;
    public const ulong M2 = 0x20_0000;

    protected PhysicalMemory Memory { get; } = new(256UL << 20);

    protected static IommuUnitConfig UnitConfig(string name, Func<IommuUnitCapabilities, IommuUnitCapabilities>? edit = null) =>
        new(name, edit is null ? IommuUnitCapabilities.IntelVtd : edit(IommuUnitCapabilities.IntelVtd));

    protected IommuUnitHandle CreateUnit(IommuUnitConfig config) => IommuUnitActor.Create(Sys, config, Memory);

    /// <summary>A device behind <paramref name="unit"/>, returned once its unit has probed it.</summary>
    protected IActorRef CreateDevice(IommuUnitHandle unit, DeviceOptions options)
    {
        var device = Sys.ActorOf(DeviceActor.Props(options, unit, Memory), options.Name);
        var stats = Call<DeviceStats>(device, new GetDeviceStats());
        if (stats.Errno != Errno.None) throw new InvalidOperationException($"probe of {options.Name} failed: {stats.Errno}");
        return device;
    }

    /// <summary>A stub domain owning a page table, and the device attached to it through the unit.</summary>
    protected IActorRef CreateStubDomain(IommuUnitHandle unit, string name = "domain") =>
        Sys.ActorOf(Props.Create(() => new StubDomain(unit.Capabilities)), name);

    protected uint Attach(IommuUnitHandle unit, string device, IActorRef domain, IommuDomainType type = IommuDomainType.Unmanaged)
    {
        var caps = unit.Capabilities;
        var attached = Call<UnitDeviceAttached>(unit.Ref, new UnitAttachDevice(device, domain, type,
            new IommuDomainGeometry(caps.PageTableFormat, caps.PageSizes, caps.InputAddressBits, false)));
        if (attached.Errno != Errno.None) throw new InvalidOperationException($"attach of {device} failed: {attached.Errno}");
        return attached.DomainId;
    }

    /// <summary><paramref name="count"/> fresh pages of host RAM, page i holding <c>seed + i</c>.</summary>
    protected Pfn[] AllocPages(int count, ulong seed = 0x1000)
    {
        var pages = new Pfn[count];
        for (var i = 0; i < count; i++)
        {
            if (Memory.AllocPage(out pages[i]) != Errno.None) throw new InvalidOperationException("out of memory");
            Memory.WritePage(pages[i], seed + (ulong)i);
        }
        return pages;
    }

    protected void MapPages(IActorRef stub, ulong iova, IReadOnlyList<Pfn> pages, IommuProt prot = IommuProt.Read | IommuProt.Write)
    {
        for (var i = 0; i < pages.Count; i++)
            Assert.Equal(Done.Ok, Call<Done>(stub, new IommuMap(new Iova(iova + (ulong)i * K4), pages[i].ToPhys(), K4, prot)));
    }

    protected DmaCompleted Read(IActorRef device, ulong iova, int pages) => Call<DmaCompleted>(device, new DmaRead(new Iova(iova), pages));

    protected DmaCompleted Write(IActorRef device, ulong iova, params ulong[] values) => Call<DmaCompleted>(device, new DmaWrite(new Iova(iova), values));

    protected IommuUnitStats UnitStats(IommuUnitHandle unit) => Call<IommuUnitStats>(unit.Ref, new GetIommuUnitStats());

    protected IotlbInvalidated Invalidate(IommuUnitHandle unit, IActorRef domain, bool sync, params IotlbInvalidation[] commands) =>
        Call<IotlbInvalidated>(unit.Ref, new IotlbInvalidate(domain, commands, sync, 1));
}

/// <summary>
/// A minimal domain for the unit's tests (the real one is in the Actors project): it owns an
/// <see cref="IoPageTable"/>, maps and unmaps on request without any flush (the test issues the
/// invalidations itself), and answers the walker as IommuDomainActor does.
/// </summary>
internal sealed class StubDomain : ReceiveActor
{
    public StubDomain(IommuUnitCapabilities caps)
    {
        var table = caps.CreatePageTable();
        Receive<IommuMap>(m => Sender.Tell(new Done(table.Map(m.Iova, m.Phys, m.Size, (IoProt)(int)m.Prot)), Self));
        Receive<IommuUnmap>(u => Sender.Tell(new IommuUnmapped(Errno.None, table.Unmap(u.Iova, u.Size)), Self));
        Receive<TranslateRange>(r =>
        {
            var list = new List<Translation>();
            var errno = Errno.None;
            for (var i = 0; i < r.Pages && errno == Errno.None; i++)
            {
                var walk = table.Walk(r.Iova + (ulong)i * HardwareKit.K4, r.Write ? IoProt.Write : IoProt.Read);
                errno = walk.Status switch
                {
                    IoWalkStatus.Ok => Errno.None,
                    IoWalkStatus.PermissionFault => Errno.EPERM,
                    _ => Errno.EFAULT,
                };
                list.Add(new Translation(errno, walk.Phys, errno == Errno.EFAULT ? 0 : walk.PageSize.Bytes, (IommuProt)(int)walk.Prot, walk.Levels));
            }
            Sender.Tell(new RangeTranslation(errno, r.Iova, list), Self);
        });
        Receive<UnitDeviceAttached>(_ => { });
    }
}
