using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Sva;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// I/O page faults handled per second (DESIGN.md protocol 3): each device, behind its own unit and
/// bound to its own process, DMAs by PASID over memory the process never touched, so every page
/// faults. The unit's walk (through the SVA domain, to the mm) finds no PTE, the unit queues a
/// page request group, its queue thread hands the group to the domain, the mm faults the pages in
/// as a CPU fault would (a read maps the zero page, a write allocates a page), the response goes
/// back through the unit to the device, and the device retries the burst from the faulting page.
/// A group asks for <c>group</c> pages (the faulting one and the next ones of the burst).
/// </summary>
public sealed class IopfScenario(IopfScenario.Sizes sizes) : IScenario
{
    public const string ScenarioName = "iopf";

    /// <summary>
    /// Pages faulted per run (over all devices), pages per burst, bursts each device keeps in flight,
    /// the combinations (devices, write, pages per group), and the measuring discipline.
    /// </summary>
    public sealed record Sizes(long Pages, int BurstPages, int Window, IReadOnlyList<(int Devices, bool Write, int GroupPages)> Combinations, MeasureSettings Measure)
    {
        public static Sizes Full { get; } = new(1 << 19, 512, 4, [(1, false, 1), (1, true, 1), (2, false, 1), (1, false, 16)], MeasureSettings.Default);

        public static Sizes Quick { get; } = Full with { Pages = 1 << 12 };
    }

    public static IopfScenario Create(bool quick) => new(quick ? Sizes.Quick : Sizes.Full);

    private const ulong Base = 0x10_0000_0000UL;

    public string Name => ScenarioName;

    private readonly record struct IopfRun(double FaultsPerSec, double PagesPerSec, long Groups);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var (devices, write, group) in sizes.Combinations) report(MeasureCombination(devices, write, group));
    }

    private ScenarioResult MeasureCombination(int devices, bool write, int groupPages)
    {
        var bursts = sizes.Pages / devices / sizes.BurstPages;
        var pages = bursts * sizes.BurstPages * devices;
        var runs = Measure.Runs(sizes.Measure, () => RunOnce(devices, write, groupPages, bursts));
        var median = Measure.Median(runs.Select(r => r.FaultsPerSec));
        var access = write ? "write" : "read";
        return new ScenarioResult(
            Name,
            $"devices={devices} access={access} group={groupPages} pages={pages}",
            ResultTable.Rate(median, "faults/s"),
            ResultTable.Rates(runs.Select(r => r.FaultsPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["devices"] = devices,
                ["access"] = access,
                ["group_pages"] = groupPages,
                ["burst_pages"] = sizes.BurstPages,
                ["window"] = sizes.Window,
                ["pages"] = pages,
                ["groups"] = runs[0].Groups,
                ["median_faults_per_sec"] = BenchmarkReport.Round(median, 1),
                ["median_groups_per_sec"] = BenchmarkReport.Round(median / groupPages, 1),
                ["runs_faults_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.FaultsPerSec), 1),
            });
    }

    private IopfRun RunOnce(int devices, bool write, int groupPages, long burstsPerDevice)
    {
        var system = BenchmarkSystems.ThreadPool("iopf");
        try
        {
            var pagesPerDevice = (ulong)(burstsPerDevice * sizes.BurstPages);
            var memory = new PhysicalMemory((write ? pagesPerDevice * (ulong)devices << PageSize.BaseShift : 0) + (64UL << 20));
            var sva = system.ActorOf(IommuSvaActor.Props(), "sva");
            var drivers = new List<IActorRef>();
            var units = new List<IommuUnitHandle>();
            var done = new Countdown(devices);
            for (var i = 0; i < devices; i++)
            {
                var unit = IommuUnitActor.Create(system, new IommuUnitConfig($"iommu{i}", IommuUnitCapabilities.IntelVtd)
                {
                    Iopf = IopfOptions.Default with { GroupPages = groupPages },
                }, memory);
                units.Add(unit);
                var device = system.ActorOf(DeviceActor.Props(new DeviceOptions($"dev{i}"), unit, memory), $"dev{i}");
                Ask<DeviceStats>(device, new GetDeviceStats());
                var mm = system.ActorOf(MmActor.Props(memory), $"mm{i}");
                Expect(Ask<MmapReply>(mm, new Mmap(pagesPerDevice << PageSize.BaseShift, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(Base))).Errno, "mmap");
                var bond = Ask<SvaBond>(sva, new SvaBindDevice($"dev{i}", unit.Ref, mm));
                Expect(bond.Errno, "bind");
                var driver = system.ActorOf(Props.Create(() => new PasidDmaDriver(device, bond.Pasid, write, sizes.BurstPages, burstsPerDevice, sizes.Window, groupPages, done)));
                BenchmarkSystems.AwaitCreated(driver);
                drivers.Add(driver);
            }

            var start = Stopwatch.GetTimestamp();
            foreach (var d in drivers) d.Tell(PasidDmaDriver.Start, null);
            BenchmarkSystems.Wait(done.Task, "I/O page faults");
            var elapsed = Stopwatch.GetElapsedTime(start);

            var stats = units.Select(u => Ask<UnitIopfStats>(u.Ref, new GetUnitIopfStats())).ToList();
            var faults = stats.Sum(s => s.PageRequests);
            var total = (long)pagesPerDevice * devices;
            if (faults != total || stats.Sum(s => s.PageResponses) != total / groupPages || stats.Any(s => s.PageRequestsDropped != 0))
                throw new InvalidOperationException($"expected {total} page requests in {total / groupPages} groups: {string.Join("; ", stats)}");
            return new IopfRun(Measure.PerSecond(faults, elapsed), Measure.PerSecond(total, elapsed), total / groupPages);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    /// <summary>A device driver: PASID bursts over its fresh buffer, <c>window</c> in flight, each checked to have faulted every page in; then a signal.</summary>
    private sealed class PasidDmaDriver : WindowedDriver
    {
        private readonly IActorRef _device;
        private readonly Pasid _pasid;
        private readonly bool _write;
        private readonly int _burst;
        private readonly int _groupPages;
        private readonly ulong[] _values;

        public PasidDmaDriver(IActorRef device, Pasid pasid, bool write, int burst, long total, int window, int groupPages, Countdown done)
            : base(total, window, done)
        {
            _device = device;
            _pasid = pasid;
            _write = write;
            _burst = burst;
            _groupPages = groupPages;
            _values = Enumerable.Range(0, burst).Select(i => 0x10F_0000UL + (ulong)i).ToArray();
        }

        protected override bool IsAnswer(object message)
        {
            if (message is not SvaDmaCompleted c) return false;
            if (c.Errno != Errno.None || c.Pages != _burst || c.PageRequests != _burst / _groupPages)
                throw new InvalidOperationException($"a burst of {_burst} pages ended {c.Errno} after {c.Pages} pages and {c.PageRequests} page requests");
            return true;
        }

        protected override void Send(long index)
        {
            var at = new VirtAddr(Base + ((ulong)(index * _burst) << PageSize.BaseShift));
            _device.Tell(_write ? new DmaWritePasid(_pasid, at, _values) : new DmaReadPasid(_pasid, at, _burst), Self);
        }
    }
}
