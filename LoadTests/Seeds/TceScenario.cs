using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Tce;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Tce;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// Seed 003 at scale. <c>op=exchange</c> and <c>op=xchg_no_kill</c>: TCE exchanges per second on a
/// table alone (no actors), each replacing a valid entry with another page and direction over a
/// 4 GiB window, with the seed's per-exchange invalidation count or without (the target is
/// 10 M/s). <c>op=map-unmap</c>: pages per second through the VFIO sPAPR container, each driver
/// sending MAP_DMA then UNMAP_DMA of <c>batch</c> pages over its process's buffer (a window of
/// requests queued at the container): each map asks the mm to pin the batch, exchanges it in and
/// kills the PHB's TCE cache once; each unmap exchanges it out, kills once and releases every
/// page (marking the writable ones dirty). Pages count once per map and once per unmap.
/// Containers run in parallel, each with its own process, PHB, device and group.
/// </summary>
public sealed class TceScenario(TceScenario.Settings settings) : IScenario
{
    public const string ScenarioName = "tce";

    /// <summary>The scenario's sizes; <see cref="Full"/> is the specification, <see cref="Quick"/> about 100 times smaller.</summary>
    public sealed record Settings
    {
        /// <summary>Exchanges per measured run of the table.</summary>
        public long Exchanges { get; init; } = 200_000_000;

        /// <summary>Entries of the exchanged table (and of each container's window): 2^20 4 KiB pages, a 4 GiB window.</summary>
        public ulong WindowEntries { get; init; } = 1UL << 20;

        /// <summary>Map/unmap: pages mapped (and as many unmapped) per run, over all containers.</summary>
        public long MapPages { get; init; } = 4L << 20;

        /// <summary>Map/unmap: pages per MAP_DMA / UNMAP_DMA request.</summary>
        public IReadOnlyList<int> BatchPages { get; init; } = [16, 512];

        /// <summary>Map/unmap: containers running at once.</summary>
        public IReadOnlyList<int> Containers { get; init; } = [1, 2];

        /// <summary>Map/unmap: pages of each process's buffer, mapped batch after batch, cyclically.</summary>
        public int BufferPages { get; init; } = 1 << 15;

        /// <summary>Map/unmap: requests each driver keeps queued at its container.</summary>
        public int Window { get; init; } = 4;

        public MeasureSettings Measure { get; init; } = MeasureSettings.Default;

        public static Settings Full { get; } = new();

        public static Settings Quick { get; } = Full with
        {
            Exchanges = Full.Exchanges / 100,
            MapPages = Full.MapPages / 100,
            BufferPages = Full.BufferPages / 8,
        };
    }

    public string Name => ScenarioName;

    private readonly record struct MapRun(double PagesPerSec, long Kills, long Released, long Dirtied);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        report(MeasureExchanges(noKill: true));
        report(MeasureExchanges(noKill: false));
        foreach (var batch in settings.BatchPages)
            foreach (var containers in settings.Containers)
                report(MeasureMapUnmap(containers, batch));
    }

    private ScenarioResult MeasureExchanges(bool noKill)
    {
        var op = noKill ? "xchg_no_kill" : "exchange";
        var runs = Measure.Runs(settings.Measure, () => ExchangeOnce(noKill));
        var median = Measure.Median(runs);
        return new ScenarioResult(
            Name,
            $"op={op} window={settings.WindowEntries} exchanges={settings.Exchanges}",
            ResultTable.Rate(median, "exchanges/s"),
            ResultTable.Rates(runs),
            new JsonObject
            {
                ["scenario"] = Name,
                ["op"] = op,
                ["window_entries"] = settings.WindowEntries,
                ["exchanges"] = settings.Exchanges,
                ["median_exchanges_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_exchanges_per_sec"] = BenchmarkReport.Array(runs, 1),
            });
    }

    /// <summary>
    /// Fills the window once (untimed), then exchanges every entry round after round: each exchange
    /// hands back a valid entry, as a guest rewriting its TCEs does.
    /// </summary>
    private double ExchangeOnce(bool noKill)
    {
        var entries = settings.WindowEntries;
        var table = new TceTable(0, entries, PageSize.BaseShift, TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree);
        if (table.Set(0, entries, new PhysAddr(1UL << 32), DmaDirection.Bidirectional) != Errno.None)
            throw new InvalidOperationException("filling the table failed");
        var mask = entries - 1;
        ulong handedBack = 0;
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < settings.Exchanges; i++)
        {
            var hostAddr = new PhysAddr((ulong)i << PageSize.BaseShift);
            var direction = (i & 1) == 0 ? DmaDirection.ToDevice : DmaDirection.FromDevice;
            var err = noKill
                ? table.ExchangeNoKill((ulong)i & mask, ref hostAddr, ref direction)
                : table.Exchange((ulong)i & mask, ref hostAddr, ref direction);
            if (err != Errno.None) throw new InvalidOperationException($"exchange {i} failed: {err}");
            handedBack += hostAddr.Value;
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (table.Exchanges != settings.Exchanges || table.ValidEntries != (long)entries || handedBack == 0)
            throw new InvalidOperationException($"{table.Exchanges} exchanges, {table.ValidEntries} valid entries after the run");
        return Measure.PerSecond(settings.Exchanges, elapsed);
    }

    private ScenarioResult MeasureMapUnmap(int containers, int batch)
    {
        var requestsPerContainer = settings.MapPages / containers / batch;
        var pages = requestsPerContainer * batch * containers;
        var runs = Measure.Runs(settings.Measure, () => MapUnmapOnce(containers, batch, requestsPerContainer));
        var median = Measure.Median(runs.Select(r => r.PagesPerSec));
        return new ScenarioResult(
            Name,
            $"op=map-unmap containers={containers} batch={batch} pages={pages}",
            ResultTable.Rate(median, "pages/s"),
            ResultTable.Rates(runs.Select(r => r.PagesPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["op"] = "map-unmap",
                ["containers"] = containers,
                ["batch_pages"] = batch,
                ["window"] = settings.Window,
                ["pages"] = pages,
                ["kills"] = runs[0].Kills,
                ["pages_released"] = runs[0].Released,
                ["pages_dirtied"] = runs[0].Dirtied,
                ["median_pages_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_pages_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.PagesPerSec), 1),
            });
    }

    private const ulong BufferBase = 0x7f00_0000_0000UL;

    private MapRun MapUnmapOnce(int containers, int batch, long requestsPerContainer)
    {
        var system = BenchmarkSystems.ThreadPool("tce");
        try
        {
            var buffer = (ulong)settings.BufferPages;
            var memory = new PhysicalMemory((ulong)containers * (buffer << PageSize.BaseShift) + (64UL << 20));
            var machines = Enumerable.Range(0, containers).Select(i => Build(system, memory, i)).ToList();
            var done = new Countdown(containers);
            var drivers = machines.Select(c => system.ActorOf(Props.Create(() =>
                new MapDriver(c, batch, settings.BufferPages, requestsPerContainer, settings.Window, done)))).ToList();
            foreach (var d in drivers) BenchmarkSystems.AwaitCreated(d);
            var before = machines.Select(c => Ask<TceContainerStats>(c, new GetTceContainerStats())).ToList();

            var start = Stopwatch.GetTimestamp();
            foreach (var d in drivers) d.Tell(MapDriver.Start, null);
            BenchmarkSystems.Wait(done.Task, "map/unmap");
            var elapsed = Stopwatch.GetElapsedTime(start);

            long kills = 0, released = 0, dirtied = 0;
            for (var i = 0; i < containers; i++)
            {
                var after = Ask<TceContainerStats>(machines[i], new GetTceContainerStats());
                if (after.PinnedPages != 0 || after.ValidTces != 0)
                    throw new InvalidOperationException($"a container holds {after.PinnedPages} pins and {after.ValidTces} TCEs after the run");
                kills += after.Kills - before[i].Kills;
                released += after.PagesReleased - before[i].PagesReleased;
                dirtied += after.PagesDirtied - before[i].PagesDirtied;
            }
            if (released != requestsPerContainer * batch * containers)
                throw new InvalidOperationException($"{released} pages released, expected {requestsPerContainer * batch * containers}");
            return new MapRun(Measure.PerSecond(2 * requestsPerContainer * batch * containers, elapsed), kills, released, dirtied);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    /// <summary>
    /// One POWER machine slice: a process with a buffer faulted in, a PHB with one device, the
    /// device's group with a 4 GiB window, and the process's container, attached and enabled.
    /// </summary>
    private IActorRef Build(ActorSystem system, PhysicalMemory memory, int index)
    {
        var unit = IommuUnitActor.Create(system, new IommuUnitConfig($"phb{index}", IommuUnitCapabilities.PowerPhb), memory);
        var device = system.ActorOf(DeviceActor.Props(new DeviceOptions($"dev{index}"), unit, memory), $"dev{index}");
        Ask<DeviceStats>(device, new GetDeviceStats());
        var table = new TceTable(0, settings.WindowEntries, PageSize.BaseShift, TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree);
        var group = new TceTableGroup($"domain0-pe{index}", unit, [$"dev{index}"], table);
        var mm = system.ActorOf(MmActor.Props(memory), $"mm{index}");
        var bytes = (ulong)settings.BufferPages << PageSize.BaseShift;
        Expect(Ask<MmapReply>(mm, new Mmap(bytes, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(BufferBase))).Errno, "mmap");
        var container = system.ActorOf(TceContainerActor.Props(memory, mm, [group]), $"container{index}");
        Expect(Ask<Done>(container, new TceAttachGroup(group.Name)).Errno, "attach");
        Expect(Ask<Done>(container, new TceEnable()).Errno, "enable");
        // The first write pin faults the buffer in: done here, untimed.
        Expect(Ask<Done>(container, new VfioMapDma(BufferBase, 0, bytes, VfioDmaMapFlags.Read | VfioDmaMapFlags.Write)).Errno, "first map");
        Expect(Ask<Done>(container, new VfioUnmapDma(0, bytes)).Errno, "first unmap");
        return container;
    }

    /// <summary>
    /// A guest's TCE traffic: MAP_DMA then UNMAP_DMA of <c>batch</c> pages at the same slot, slot
    /// after slot over the buffer (bus address = buffer offset), <c>window</c> requests queued,
    /// directions taking turns; then a signal.
    /// </summary>
    private sealed class MapDriver : WindowedDriver
    {
        private static readonly VfioDmaMapFlags[] Directions = [VfioDmaMapFlags.Read | VfioDmaMapFlags.Write, VfioDmaMapFlags.Read, VfioDmaMapFlags.Write];

        private readonly IActorRef _container;
        private readonly ulong _batchBytes;
        private readonly long _slots;

        public MapDriver(IActorRef container, int batch, int bufferPages, long requests, int window, Countdown done)
            : base(2 * requests, window, done)
        {
            _container = container;
            _batchBytes = (ulong)batch << PageSize.BaseShift;
            _slots = bufferPages / batch;
        }

        protected override bool IsAnswer(object message)
        {
            if (message is not Done reply) return false;
            if (reply.Errno != Errno.None) throw new InvalidOperationException($"map/unmap failed: {reply.Errno}");
            return true;
        }

        // Even requests map a batch, odd ones unmap it.
        protected override void Send(long index)
        {
            var request = index / 2;
            var offset = (ulong)(request % _slots) * _batchBytes;
            _container.Tell((index & 1) == 0
                ? new VfioMapDma(BufferBase + offset, offset, _batchBytes, Directions[request % Directions.Length])
                : new VfioUnmapDma(offset, _batchBytes), Self);
        }
    }
}
