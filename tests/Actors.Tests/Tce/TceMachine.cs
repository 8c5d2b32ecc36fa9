using IommuSim.Actors.Mm;
using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tce;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Tce;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Tce;

/// <summary>How an <see cref="TceMachine"/>'s group and container are built; the defaults are a POWER8 PHB3 with a 4 MiB default window.</summary>
public sealed record TceMachineOptions
{
    public static readonly TceMachineOptions Default = new();

    public TceContainerOptions Container { get; init; } = TceContainerOptions.Default;

    /// <summary>First entry of the default window (it_offset): bus address Offset &lt;&lt; PageShift.</summary>
    public ulong Offset { get; init; } = 0x100;

    /// <summary>Entries of the default window (it_size).</summary>
    public ulong Entries { get; init; } = 0x400;

    public int PageShift { get; init; } = PageSize.BaseShift;

    /// <summary>PHB3 (IODA2) tables are killed by software after changes.</summary>
    public TceTableType Type { get; init; } = TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree;

    public bool HasExchange { get; init; } = true;

    /// <summary>A second window (the 64-bit DDW), or none.</summary>
    public TceTable? SecondTable { get; init; }

    public ulong RamBytes { get; init; } = 64UL << 20;

    public IReadOnlyList<string> Devices { get; init; } = ["gpu0"];
}

/// <summary>
/// A POWER machine for the VFIO sPAPR container: a PHB (an IommuUnitActor with the power-phb
/// capabilities), devices behind it in one IOMMU group whose default window is a TCE table, one
/// process (an <see cref="MmActor"/>), its container, and the two oracles (pins and TCEs, DMA safety)
/// on the event stream. Works on any test kit: a <see cref="IommuSim.TestKit.DeterministicTestKit"/>
/// per seed for races, either dispatcher for the behaviour tests.
/// </summary>
public sealed class TceMachine : IDisposable
{
    public const ulong Page = 4096;
    public const string GroupName = "domain0-pe1";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly IommuSim.TestKit.TestKit _kit;

    public TceMachine(IommuSim.TestKit.TestKit kit, TceMachineOptions? options = null, string containerName = "tce-container")
    {
        _kit = kit;
        options ??= TceMachineOptions.Default;
        Memory = new PhysicalMemory(options.RamBytes);
        PinOracle = TcePinOracle.Attach(kit.Sys.EventStream, Memory);
        DmaOracle = DmaSafetyOracle.Attach(kit.Sys.EventStream);
        Unit = IommuUnitActor.Create(kit.Sys, new IommuUnitConfig("phb0", IommuUnitCapabilities.PowerPhb), Memory);
        foreach (var name in options.Devices)
        {
            var device = kit.Sys.ActorOf(DeviceActor.Props(new DeviceOptions(name), Unit, Memory), name);
            // The device answers only once its unit probed it, so an attach finds it probed.
            Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
            Devices[name] = device;
        }
        Table = new TceTable(options.Offset, options.Entries, options.PageShift, options.Type, options.HasExchange);
        Group = options.SecondTable is { } second
            ? new TceTableGroup(GroupName, Unit, options.Devices, Table, second)
            : new TceTableGroup(GroupName, Unit, options.Devices, Table);
        Mm = kit.Sys.ActorOf(MmActor.Props(Memory), "mm");
        Container = kit.Sys.ActorOf(TceContainerActor.Props(Memory, Mm, [Group], options.Container), containerName);
    }

    public PhysicalMemory Memory { get; }
    public TcePinOracle PinOracle { get; }
    public DmaSafetyOracle DmaOracle { get; }
    public IommuUnitHandle Unit { get; }
    public Dictionary<string, IActorRef> Devices { get; } = [];
    public TceTable Table { get; }
    public TceTableGroup Group { get; }
    public IActorRef Mm { get; }
    public IActorRef Container { get; }

    /// <summary>Bus address of the default window's first entry.</summary>
    public ulong WindowStart => Table.Window.Start;

    public T Call<T>(IActorRef target, object message)
    {
        _kit.Send(target, message);
        return _kit.ExpectMsg<T>(CallTimeout);
    }

    public Errno Attach(string group = GroupName) => Call<Done>(Container, new TceAttachGroup(group)).Errno;

    public Errno Detach(string group = GroupName) => Call<Done>(Container, new TceDetachGroup(group)).Errno;

    public Errno Enable() => Call<Done>(Container, new TceEnable()).Errno;

    /// <summary>Attaches the group and enables the container, as QEMU does before the guest maps anything.</summary>
    public TceMachine Ready()
    {
        Assert.Equal(Errno.None, Attach());
        Assert.Equal(Errno.None, Enable());
        return this;
    }

    public Errno Map(ulong vaddr, ulong iova, ulong size, VfioDmaMapFlags flags = VfioDmaMapFlags.Read | VfioDmaMapFlags.Write) =>
        Call<Done>(Container, new VfioMapDma(vaddr, iova, size, flags)).Errno;

    public Errno Unmap(ulong iova, ulong size, uint flags = 0) => Call<Done>(Container, new VfioUnmapDma(iova, size, flags)).Errno;

    public TceContainerStats Stats() => Call<TceContainerStats>(Container, new GetTceContainerStats());

    public IommuUnitStats UnitStats() => Call<IommuUnitStats>(Unit.Ref, new GetIommuUnitStats());

    /// <summary>An anonymous read-write mapping of the process, page i written with <paramref name="value"/>(i) (faulted in) unless null.</summary>
    public ulong Mmap(ulong pages, Func<ulong, ulong>? value = null, Prot prot = Prot.Read | Prot.Write)
    {
        var r = Call<MmapReply>(Mm, new Mmap(pages * Page, prot));
        Assert.Equal(Errno.None, r.Errno);
        if (value is not null)
            for (ulong i = 0; i < pages; i++) Assert.Equal(Errno.None, CpuWrite(r.Address.Value + i * Page, value(i)));
        return r.Address.Value;
    }

    public Errno Munmap(ulong vaddr, ulong pages) => Call<Done>(Mm, new Munmap(new VirtAddr(vaddr), pages * Page)).Errno;

    public Errno CpuWrite(ulong vaddr, ulong value) => Call<Done>(Mm, new CpuWrite(new VirtAddr(vaddr), value)).Errno;

    public ulong CpuRead(ulong vaddr)
    {
        var r = Call<CpuReadReply>(Mm, new CpuRead(new VirtAddr(vaddr)));
        Assert.Equal(Errno.None, r.Errno);
        return r.Value;
    }

    public DmaCompleted DmaRead(ulong iova, int pages, string device = "gpu0") => Call<DmaCompleted>(Devices[device], new DmaRead(new Iova(iova), pages));

    public DmaCompleted DmaWrite(ulong iova, IReadOnlyList<ulong> values, string device = "gpu0") =>
        Call<DmaCompleted>(Devices[device], new DmaWrite(new Iova(iova), values));

    /// <summary>
    /// Writeback of every page (clear_page_dirty_for_io on each live frame of RAM): after it, a
    /// dirty page is one something dirtied since, such as a TCE release.
    /// </summary>
    public void CleanAllPages()
    {
        var ram = Memory.SystemRam;
        for (ulong i = 0; i < ram.Frames; i++)
            if (Memory.IsPageLive(ram.BasePfn + i)) Memory.TestClearPageDirty(ram.BasePfn + i, out _);
    }

    /// <summary>The page the table's entry for <paramref name="iova"/> holds, and its direction (read after a reply: the container is idle).</summary>
    public (Pfn Pfn, DmaDirection Direction) Entry(ulong iova)
    {
        Assert.Equal(Errno.None, Table.Get(iova >> Table.PageShift, out var tce));
        return (new PhysAddr(tce & Table.PageMask).Pfn, TceTable.TceDirection(tce));
    }

    /// <summary>No oracle saw a violation and nothing used a freed frame.</summary>
    public void AssertClean()
    {
        var pins = PinOracle.Violations;
        Assert.True(pins.Count == 0, pins.Count == 0 ? "" : $"{pins[0].Invariant}: {pins[0].Message}\n  {string.Join("\n  ", pins[0].RecentEvents)}");
        var dma = DmaOracle.Violations;
        Assert.True(dma.Count == 0, dma.Count == 0 ? "" : dma[0].ToString());
        Assert.Equal(0, Memory.Counters.UseAfterFree);
        Assert.Equal(0, Memory.Counters.BadUnpins);
    }

    /// <summary>
    /// Detaches the group if attached (every entry cleared, every pin released), ends the process, and checks
    /// that nothing is left: no pin, no page, no TCE, no violation.
    /// </summary>
    public void TearDownAndCheck()
    {
        if (Stats().Groups > 0) Assert.Equal(Errno.None, Detach());
        Assert.Equal(Errno.None, Call<Done>(Mm, new Exit()).Errno);
        var stats = Stats();
        Assert.Equal((0L, 0L, 0, false), (stats.PinnedPages, stats.ValidTces, stats.Groups, Table.IsOwned));
        var counters = Memory.Counters;
        Assert.Equal(counters.PinsAcquired, counters.PinsReleased);
        Assert.Equal(0, counters.PinnedPages);
        Assert.Equal(0, counters.Live);
        PinOracle.CheckTeardown();
        AssertClean();
    }

    public void Dispose()
    {
        PinOracle.Dispose();
        DmaOracle.Dispose();
    }
}
