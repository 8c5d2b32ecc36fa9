using System.Collections.Concurrent;
using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>What can be broken on purpose in an <see cref="IommuMachine"/>: every default is the correct kernel.</summary>
public sealed record MachineBugs
{
    public static readonly MachineBugs None = new();

    public HmmDomainOptions HmmDomain { get; init; } = HmmDomainOptions.Default;

    public IommuDomainOptions IommuDomain { get; init; } = IommuDomainOptions.Default;

    public MirrorOptions Mirror { get; init; } = MirrorOptions.Default;
}

/// <summary>
/// The whole stack over the real actors, as a machine with HMM and an IOMMU: one IOMMU unit
/// (VT-d), devices behind it attached to one UNMANAGED IOMMU domain, one mm whose HMM domains are
/// real <see cref="HmmDomainActor"/>s, and one mirror per device, registered with the IOMMU domain
/// so that it joins the mm's HMM domain for it. A DMA safety oracle watches every trace event.
/// </summary>
/// <remarks>
/// A device learns the IOVA of a page the way a dmirror driver would hand it to its DMA engine:
/// from its mirror's mapping. The mirror publishes the IOVA of every page it touches
/// (<see cref="DmaAccess.Iova"/>); <see cref="IovaOf"/> reads what was published.
/// </remarks>
public sealed class IommuMachine : IDisposable
{
    public const ulong Page = 4096;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly IommuSim.TestKit.TestKit _kit;
    private readonly ConcurrentDictionary<(string Device, ulong Vpn), Iova> _iovas = new();
    private readonly IDisposable _iovaSubscription;

    public IommuMachine(IommuSim.TestKit.TestKit kit, MachineBugs? bugs = null, ulong ramBytes = 64UL << 20, params (string Name, int AtcEntries)[] devices)
    {
        _kit = kit;
        bugs ??= MachineBugs.None;
        if (devices.Length == 0) devices = [("gpu0", 0)];
        Memory = new PhysicalMemory(ramBytes);
        Oracle = DmaSafetyOracle.Attach(kit.Sys.EventStream);
        _iovaSubscription = kit.Sys.EventStream.Subscribe(typeof(DmaAccess), e =>
        {
            if (e is DmaAccess { Iova: { } iova } a) _iovas[(a.Device, a.Address.Value / Page)] = iova;
        });
        Unit = IommuUnitActor.Create(kit.Sys, new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd), Memory);
        IommuDomain = kit.Sys.ActorOf(IommuDomainActor.Props(Unit, bugs.IommuDomain), "iommu-domain");
        Mm = kit.Sys.ActorOf(MmActor.Props(Memory, d => HmmDomainActor.Props(d, bugs.HmmDomain)), "mm");
        foreach (var (name, atc) in devices)
        {
            var device = kit.Sys.ActorOf(DeviceActor.Props(new DeviceOptions(name) { AtcEntries = atc }, Unit, Memory), name);
            // The device answers only once its unit probed it, so the attach finds it probed.
            Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
            Assert.Equal(Errno.None, Call<Done>(IommuDomain, new AttachDevice(name, Unit.Name)).Errno);
            Devices[name] = device;
            Mirrors[name] = kit.Sys.ActorOf(HmmMirrorActor.Props(Mm, name, Memory, IommuDomain, bugs.Mirror), "mirror-" + name);
        }
    }

    public PhysicalMemory Memory { get; }
    public DmaSafetyOracle Oracle { get; }
    public IommuUnitHandle Unit { get; }
    public IActorRef IommuDomain { get; }
    public IActorRef Mm { get; }
    public Dictionary<string, IActorRef> Devices { get; } = [];
    public Dictionary<string, IActorRef> Mirrors { get; } = [];

    public T Call<T>(IActorRef target, object message)
    {
        _kit.Send(target, message);
        return _kit.ExpectMsg<T>(CallTimeout);
    }

    /// <summary>The IOVA the device's mirror mapped the page of <paramref name="address"/> at, or null if it has not touched it.</summary>
    public Iova? IovaOf(string device, ulong address) =>
        _iovas.TryGetValue((device, address / Page), out var iova) ? iova + (address % Page) : null;

    public ulong Mmap(ulong pages, VirtAddr? at = null)
    {
        var r = Call<MmapReply>(Mm, new Mmap(pages * Page, Prot.Read | Prot.Write, MapKind.Private, at));
        Assert.Equal(Errno.None, r.Errno);
        return r.Address.Value;
    }

    public void CpuWrite(ulong address, ulong value) => Assert.Equal(Errno.None, Call<Done>(Mm, new CpuWrite(new VirtAddr(address), value)).Errno);

    public ulong CpuRead(ulong address)
    {
        var r = Call<CpuReadReply>(Mm, new CpuRead(new VirtAddr(address)));
        Assert.Equal(Errno.None, r.Errno);
        return r.Value;
    }

    public Errno Munmap(ulong address, ulong pages) => Call<Done>(Mm, new Munmap(new VirtAddr(address), pages * Page)).Errno;

    public MirrorCmdReply MirrorRead(string device, ulong address, ulong pages) =>
        Call<MirrorCmdReply>(Mirrors[device], new MirrorRead(new VirtAddr(address), pages));

    public MirrorCmdReply MirrorWrite(string device, ulong address, IReadOnlyList<ulong> values) =>
        Call<MirrorCmdReply>(Mirrors[device], new MirrorWrite(new VirtAddr(address), values));

    public DmaCompleted DmaRead(string device, Iova iova, int pages) => Call<DmaCompleted>(Devices[device], new DmaRead(iova, pages));

    public DmaCompleted DmaWrite(string device, Iova iova, IReadOnlyList<ulong> values) => Call<DmaCompleted>(Devices[device], new DmaWrite(iova, values));

    public IommuDomainStats IommuStats() => Call<IommuDomainStats>(IommuDomain, new GetIommuDomainStats());

    public IommuUnitStats UnitStats() => Call<IommuUnitStats>(Unit.Ref, new GetIommuUnitStats());

    public MmStats MmStats() => Call<MmStats>(Mm, new GetMmStats());

    public MirrorStats MirrorStats(string device) => Call<MirrorStats>(Mirrors[device], new GetMirrorStats());

    /// <summary>No device touched a page or an IOVA it should not have, and nothing used a freed frame.</summary>
    public void AssertDmaSafe()
    {
        var violations = Oracle.Violations;
        Assert.True(violations.Count == 0, violations.Count == 0 ? "" : violations[0].ToString());
        Assert.Equal(0, Memory.Counters.UseAfterFree);
    }

    public void Dispose()
    {
        _iovaSubscription.Dispose();
        Oracle.Dispose();
    }
}
