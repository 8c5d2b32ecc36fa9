using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// The shape of a VM to migrate: its RAM, the domain its passthrough devices share, the devices'
/// write workload and the migration's pacing. Sizes are the scenario's; the defaults make a small
/// VM that converges in a few rounds.
/// </summary>
public sealed record MigratingVmOptions
{
    public ulong GuestBytes { get; init; } = 4UL << 20;

    /// <summary>Physical alignment of guest RAM; 2 MiB lets the domain map it with 2 MiB IOPTEs (when its page sizes allow).</summary>
    public ulong GuestAlignBytes { get; init; } = 4096;

    /// <summary>The domain's leaf sizes (null: the unit's); 4 KiB alone tracks dirt page by page.</summary>
    public ulong? DomainPageSizes { get; init; } = PageSizeBitmap.Size4K;

    /// <summary>Injected domain bugs (null: none).</summary>
    public IommuDomainOptions? DomainBugs { get; init; }

    public int Devices { get; init; } = 1;

    public int BurstPages { get; init; } = 4;

    public TimeSpan WriteInterval { get; init; } = TimeSpan.FromMicroseconds(20);

    public ulong Seed { get; init; } = 1;

    public long ThresholdPages { get; init; } = 64;

    public int MaxRounds { get; init; } = 30;

    public int CopyBatchPages { get; init; } = 256;

    public double CopyNanosecondsPerPage { get; init; } = 400;

    public double ScanNanosecondsPerPage { get; init; } = 1;

    /// <summary>The IOVA guest RAM is mapped at.</summary>
    public Iova IovaBase { get; init; } = new(0x10_0000_0000);

    /// <summary>Unmap everything and detach the domain after the migration (a benchmark that drops the whole system may skip it).</summary>
    public bool TearDown { get; init; } = true;
}

/// <summary>
/// One VM with passthrough devices, ready to migrate: an IOMMU unit with dirty tracking, the
/// devices behind it sharing one dirty-tracking domain, an IOAS over the source guest RAM, the
/// destination RAM, the device workload, the migration driver and the session that prepares,
/// migrates and tears down (<see cref="MigrationSession"/>; send it <c>RunMigration</c>).
/// Disposing frees both guests' frames.
/// </summary>
public sealed class MigratingVm : IDisposable
{
    private MigratingVm(IommuUnitHandle unit, IReadOnlyList<IActorRef> devices, IActorRef domain, IActorRef ioas,
        GuestMemory source, GuestMemory destination, IActorRef workload, IActorRef driver, IActorRef session)
    {
        Unit = unit;
        Devices = devices;
        Domain = domain;
        Ioas = ioas;
        Source = source;
        Destination = destination;
        Workload = workload;
        Driver = driver;
        Session = session;
    }

    public IommuUnitHandle Unit { get; }
    public IReadOnlyList<IActorRef> Devices { get; }
    public IActorRef Domain { get; }
    public IActorRef Ioas { get; }
    public GuestMemory Source { get; }
    public GuestMemory Destination { get; }
    public IActorRef Workload { get; }
    public IActorRef Driver { get; }
    public IActorRef Session { get; }

    /// <summary>Creates every actor and both guests (the source filled with a pattern, the destination zero).</summary>
    public static MigratingVm Create(IActorRefFactory factory, PhysicalMemory memory, MigratingVmOptions options)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(options);
        var unit = IommuUnitActor.Create(factory, new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd), memory);
        var devices = Enumerable.Range(0, options.Devices)
            .Select(i => factory.ActorOf(DeviceActor.Props(new DeviceOptions($"vf{i}"), unit, memory), $"vf{i}")).ToList();
        var domainOptions = (options.DomainBugs ?? IommuDomainOptions.Default) with { DirtyTracking = true, PageSizes = options.DomainPageSizes };
        var domain = factory.ActorOf(IommuDomainActor.Props(unit, domainOptions), "domain");
        var source = new GuestMemory(memory, new VirtAddr(0x7f00_0000_0000), options.GuestBytes, options.GuestAlignBytes);
        var destination = new GuestMemory(memory, new VirtAddr(0x7e00_0000_0000), options.GuestBytes, options.GuestAlignBytes);
        for (var i = 0; i < source.PageCount; i++) source.Write(i, 0x5EED_0000_0000UL | (uint)i);
        var ioas = factory.ActorOf(IoasActor.Props(memory, source), "ioas");
        var workload = factory.ActorOf(DeviceWriteWorkload.Props(new DeviceWriteWorkloadOptions(devices, options.IovaBase, source.PageCount)
        {
            BurstPages = options.BurstPages,
            Interval = options.WriteInterval,
            Seed = options.Seed,
        }), "workload");
        var driver = factory.ActorOf(LiveMigrationDriver.Props(new LiveMigrationOptions(ioas, [domain], source, destination, options.IovaBase, workload)
        {
            ThresholdPages = options.ThresholdPages,
            MaxRounds = options.MaxRounds,
            CopyBatchPages = options.CopyBatchPages,
            CopyNanosecondsPerPage = options.CopyNanosecondsPerPage,
            ScanNanosecondsPerPage = options.ScanNanosecondsPerPage,
        }), "migration");
        var session = factory.ActorOf(MigrationSession.Props(unit.Name, devices, domain, ioas, source, options.IovaBase, driver, options.TearDown), "session");
        return new MigratingVm(unit, devices, domain, ioas, source, destination, workload, driver, session);
    }

    public void Dispose()
    {
        Source.Dispose();
        Destination.Dispose();
    }
}
