using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Mm;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Simulator.Tests.Metrics;

/// <summary>
/// A small machine over the real actors (as tests/Actors.Tests/Integration/IommuMachine.cs
/// assembles one), until the scenario runner exists: one IOMMU unit read from the system's
/// configuration (so its costs are the config's <c>sim.cost</c>), an UNMANAGED IOMMU domain with
/// the given devices attached, and one mm with one mirror ("gpu-hmm", no IOMMU domain).
/// </summary>
public sealed class SimStack
{
    public const ulong Page = 4096;
    public const ulong IovaBase = 0x4000_0000;

    private readonly IommuSim.TestKit.TestKit _kit;

    /// <param name="unit">The unit's HOCON section (over iommusim.iommu.defaults).</param>
    public SimStack(IommuSim.TestKit.TestKit kit, string unit = "{}", params (string Name, int AtcEntries)[] devices)
    {
        _kit = kit;
        Memory = new PhysicalMemory(256UL << 20);
        var settings = IommuUnitConfigReader.Settings(kit.Sys.Settings.Config);
        var config = IommuUnitConfigReader.ReadUnit(ConfigurationFactory.ParseString("iommu0 " + unit, "unit"), "iommu0", settings);
        Unit = IommuUnitActor.Create(kit.Sys, config, Memory);
        Domain = kit.Sys.ActorOf(IommuDomainActor.Props(Unit), "iommu-domain");
        foreach (var (name, atc) in devices)
        {
            var device = kit.Sys.ActorOf(DeviceActor.Props(new DeviceOptions(name) { AtcEntries = atc }, Unit, Memory), name);
            Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
            Assert.Equal(Errno.None, Call<Done>(Domain, new AttachDevice(name, Unit.Name)).Errno);
            Devices[name] = device;
        }
        Mm = kit.Sys.ActorOf(MmActor.Props(Memory), "mm");
        Mirror = kit.Sys.ActorOf(HmmMirrorActor.Props(Mm, "gpu-hmm", Memory), "mirror");
        Assert.Equal(Errno.None, Call<MirrorStats>(Mirror, new GetMirrorStats()).Errno);
    }

    public PhysicalMemory Memory { get; }
    public IommuUnitHandle Unit { get; }
    public IActorRef Domain { get; }
    public Dictionary<string, IActorRef> Devices { get; } = [];
    public IActorRef Mm { get; }
    public IActorRef Mirror { get; }

    public T Call<T>(IActorRef target, object message)
    {
        _kit.Send(target, message);
        return _kit.ExpectMsg<T>(TimeSpan.FromSeconds(10));
    }

    /// <summary>Maps <paramref name="pages"/> fresh pages of RAM at <see cref="IovaBase"/>.</summary>
    public void MapPages(int pages)
    {
        for (var i = 0; i < pages; i++)
        {
            Assert.Equal(Errno.None, Memory.AllocPage(out var pfn));
            var iova = new Iova(IovaBase + ((ulong)i * Page));
            Assert.Equal(Errno.None, Call<Done>(Domain, new IommuMap(iova, pfn.ToPhys(), Page, IommuProt.Read | IommuProt.Write)).Errno);
        }
    }

    public DmaCompleted DmaRead(string device, int pages)
    {
        var r = Call<DmaCompleted>(Devices[device], new DmaRead(new Iova(IovaBase), pages));
        Assert.Equal((Errno.None, pages), (r.Errno, r.Pages));
        return r;
    }

    public ulong Mmap(ulong pages)
    {
        var r = Call<MmapReply>(Mm, new Mmap(pages * Page, Prot.Read | Prot.Write));
        Assert.Equal(Errno.None, r.Errno);
        return r.Address.Value;
    }

    public MirrorCmdReply MirrorRead(ulong address, ulong pages)
    {
        var r = Call<MirrorCmdReply>(Mirror, new MirrorRead(new VirtAddr(address), pages));
        Assert.Equal(Errno.None, r.Errno);
        return r;
    }

    public void Munmap(ulong address, ulong pages) =>
        Assert.Equal(Errno.None, Call<Done>(Mm, new Munmap(new VirtAddr(address), pages * Page)).Errno);
}
