using IommuSim.Actors.Mm;
using IommuSim.Actors.Oracle;
using IommuSim.Actors.Sva;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>How an <see cref="SvaMachine"/> is built; every default is a correct kernel on VT-d-like units.</summary>
public sealed record SvaMachineSpec
{
    public int Units { get; init; } = 1;
    public int DevicesPerUnit { get; init; } = 1;
    public IommuUnitCapabilities Capabilities { get; init; } = IommuUnitCapabilities.IntelVtd;
    public SvaOptions Sva { get; init; } = SvaOptions.Default;
    public IopfOptions Iopf { get; init; } = IopfOptions.Default;
    public MmOptions Mm { get; init; } = MmOptions.Default;
    /// <summary>Changes a device's options (given its name and the defaults).</summary>
    public Func<string, DeviceOptions, DeviceOptions>? Device { get; init; }
    public ulong RamBytes { get; init; } = 64UL << 20;
}

/// <summary>
/// The SVA stack over the real actors: IOMMU units ("iommu0", ...), devices behind them
/// ("dev0.0", "dev0.1", ... for unit 0), one mm ("mm"), the SVA core, and the oracles watching every
/// trace event (DMA safety, no fault response after unbind, SVA refcounts). Works on either test kit.
/// </summary>
public sealed class SvaMachine : IDisposable
{
    public const ulong Page = 4096;
    public const ulong Base = 0x10_0000_0000UL;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly IommuSim.TestKit.TestKit _kit;

    public SvaMachine(IommuSim.TestKit.TestKit kit, SvaMachineSpec? spec = null)
    {
        _kit = kit;
        Spec = spec ??= new SvaMachineSpec();
        Memory = new PhysicalMemory(spec.RamBytes);
        Dma = DmaSafetyOracle.Attach(kit.Sys.EventStream);
        Iopf = IopfResponseOracle.Attach(kit.Sys.EventStream);
        Refcounts = SvaRefcountOracle.Attach(kit.Sys.EventStream);
        Sva = kit.Sys.ActorOf(IommuSvaActor.Props(spec.Sva), "sva");
        Mm = NewMm("mm");
        for (var u = 0; u < spec.Units; u++)
        {
            var unit = IommuUnitActor.Create(kit.Sys, new IommuUnitConfig($"iommu{u}", spec.Capabilities) { Iopf = spec.Iopf }, Memory);
            Units.Add(unit);
            for (var d = 0; d < spec.DevicesPerUnit; d++)
            {
                var name = $"dev{u}.{d}";
                var options = new DeviceOptions(name);
                if (spec.Device is { } edit) options = edit(name, options);
                var device = kit.Sys.ActorOf(DeviceActor.Props(options, unit, Memory), name);
                // The device answers only once its unit probed it.
                Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
                Devices[name] = (device, unit);
            }
        }
    }

    public SvaMachineSpec Spec { get; }
    public PhysicalMemory Memory { get; }
    public DmaSafetyOracle Dma { get; }
    public IopfResponseOracle Iopf { get; }
    public SvaRefcountOracle Refcounts { get; }
    public IActorRef Sva { get; }
    public IActorRef Mm { get; }
    public List<IommuUnitHandle> Units { get; } = [];
    public Dictionary<string, (IActorRef Actor, IommuUnitHandle Unit)> Devices { get; } = [];

    public IActorRef NewMm(string name) => _kit.Sys.ActorOf(MmActor.Props(Memory, options: Spec.Mm), name);

    public T Call<T>(IActorRef target, object message)
    {
        _kit.Send(target, message);
        return _kit.ExpectMsg<T>(CallTimeout);
    }

    public SvaBond Bind(string device, IActorRef? mm = null) =>
        Call<SvaBond>(Sva, new SvaBindDevice(device, Devices[device].Unit.Ref, mm ?? Mm));

    public Errno Unbind(long bond) => Call<Done>(Sva, new SvaUnbindDevice(bond)).Errno;

    public ulong Mmap(ulong pages, ulong at = Base, Prot prot = Prot.Read | Prot.Write, IActorRef? mm = null)
    {
        var r = Call<MmapReply>(mm ?? Mm, new Mmap(pages * Page, prot, MapKind.Private, new VirtAddr(at)));
        Assert.Equal(Errno.None, r.Errno);
        return r.Address.Value;
    }

    public Errno Munmap(ulong address, ulong pages, IActorRef? mm = null) => Call<Done>(mm ?? Mm, new Munmap(new VirtAddr(address), pages * Page)).Errno;

    public Errno Mprotect(ulong address, ulong pages, Prot prot) => Call<Done>(Mm, new Mprotect(new VirtAddr(address), pages * Page, prot)).Errno;

    public void CpuWrite(ulong address, ulong value, IActorRef? mm = null) =>
        Assert.Equal(Errno.None, Call<Done>(mm ?? Mm, new CpuWrite(new VirtAddr(address), value)).Errno);

    public ulong CpuRead(ulong address, IActorRef? mm = null)
    {
        var r = Call<CpuReadReply>(mm ?? Mm, new CpuRead(new VirtAddr(address)));
        Assert.Equal(Errno.None, r.Errno);
        return r.Value;
    }

    public Errno Exit(IActorRef? mm = null) => Call<Done>(mm ?? Mm, new Exit()).Errno;

    public SvaDmaCompleted Read(string device, Pasid pasid, ulong address, int pages) =>
        Call<SvaDmaCompleted>(Devices[device].Actor, new DmaReadPasid(pasid, new VirtAddr(address), pages));

    public SvaDmaCompleted Write(string device, Pasid pasid, ulong address, params ulong[] values) =>
        Call<SvaDmaCompleted>(Devices[device].Actor, new DmaWritePasid(pasid, new VirtAddr(address), values));

    public SvaStats Stats() => Call<SvaStats>(Sva, new GetSvaStats());

    public SvaDomainStats DomainStats(IActorRef domain) => Call<SvaDomainStats>(domain, new GetSvaDomainStats());

    public MmSvaState MmState(IActorRef? mm = null) => Call<MmSvaState>(mm ?? Mm, new GetMmSvaState());

    public IommuUnitStats UnitStats(int unit = 0) => Call<IommuUnitStats>(Units[unit].Ref, new GetIommuUnitStats());

    public UnitIopfStats IopfStats(int unit = 0) => Call<UnitIopfStats>(Units[unit].Ref, new GetUnitIopfStats());

    public UnitProbeResult Probe(string device, ulong iova) => Call<UnitProbeResult>(Devices[device].Unit.Ref, new UnitProbe(device, new Iova(iova)));

    /// <summary>No oracle found anything, and no device touched a freed frame.</summary>
    public void AssertClean()
    {
        var dma = Dma.Violations;
        Assert.True(dma.Count == 0, dma.Count == 0 ? "" : dma[0].ToString());
        Assert.Equal(0, Memory.Counters.UseAfterFree);
        foreach (var oracle in new IInvariantOracle[] { Iopf, Refcounts })
            Assert.True(oracle.Violations.Count == 0, oracle.Violations.Count == 0 ? "" : Describe(oracle.Violations[0]));
    }

    /// <summary>After every bond is unbound and every mm exited: the refcount and fault oracles' teardown checks pass.</summary>
    public void AssertTornDown()
    {
        Iopf.CheckTeardown();
        Refcounts.CheckTeardown();
        AssertClean();
        var stats = Stats();
        Assert.Equal((0, 0, 0, 0), (stats.Pasids, stats.Bonds, stats.Domains, stats.DomainUsers));
    }

    public static string Describe(InvariantViolation v) =>
        $"{v.Invariant}: {v.Message}{Environment.NewLine}  recent events:{Environment.NewLine}    {string.Join(Environment.NewLine + "    ", v.RecentEvents)}";

    public void Dispose()
    {
        Dma.Dispose();
        Iopf.Dispose();
        Refcounts.Dispose();
    }
}
