using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// IOTLB-hit page translations per second: each device (behind its own unit, attached to its own
/// UNMANAGED domain) reads bursts of pages from a working set whose translations the IOTLB holds,
/// keeping a window of bursts in flight. A burst is one message to the device and one to the unit,
/// which translates every page (micro-TLB, else IOTLB) and reads its value from physical memory.
/// A warm-up pass fills the IOTLB first; the run then checks that no page needed a walk.
/// </summary>
public sealed class TranslationScenario(DomainSettings settings) : IScenario
{
    public const string ScenarioName = "translations";

    private const ulong IovaBase = 0x40_0000_0000UL;

    public string Name => ScenarioName;

    private readonly record struct TranslationRun(double PagesPerSec, double HitRatio);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var (leafBytes, microTlb) in settings.TranslationConfigs)
            foreach (var units in settings.TranslationUnits)
                report(MeasureCombination(units, leafBytes, microTlb));
    }

    private ScenarioResult MeasureCombination(int units, ulong pageSize, int microTlb)
    {
        var burstsPerUnit = settings.TranslatedPages / units / settings.BurstPages;
        var pages = burstsPerUnit * settings.BurstPages * units;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(units, pageSize, microTlb, burstsPerUnit, pages));
        var median = Measure.Median(runs.Select(r => r.PagesPerSec));
        var leaf = PageSize.TryFromBytes(pageSize, out var size) ? size.ToString() : pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ScenarioResult(
            Name,
            $"units={units} leaf={leaf} utlb={microTlb} burst={settings.BurstPages} pages={pages}",
            ResultTable.Rate(median, "translations/s"),
            ResultTable.Rates(runs.Select(r => r.PagesPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["units"] = units,
                ["leaf_bytes"] = pageSize,
                ["micro_tlb_entries"] = microTlb,
                ["burst_pages"] = settings.BurstPages,
                ["window"] = settings.BurstWindow,
                ["working_set_pages"] = settings.WorkingSetPages,
                ["pages"] = pages,
                ["iotlb_hit_ratio"] = BenchmarkReport.Round(runs.Min(r => r.HitRatio), 4),
                ["median_translations_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_translations_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.PagesPerSec), 1),
            });
    }

    private TranslationRun RunOnce(int units, ulong leafBytes, int microTlb, long burstsPerUnit, long pages)
    {
        var system = BenchmarkSystems.ThreadPool("translations");
        try
        {
            var workingSet = (ulong)settings.WorkingSetPages << PageSize.BaseShift;
            var memory = new PhysicalMemory(((ulong)units + 1) * (workingSet + leafBytes) + (64UL << 20));
            var machines = Enumerable.Range(0, units).Select(u => Build(system, memory, u, leafBytes, microTlb, workingSet)).ToList();
            var before = machines.Select(m => Ask<IommuUnitStats>(m.Unit.Ref, new GetIommuUnitStats())).ToList();

            var done = new Countdown(units);
            var drivers = machines.Select(m => system.ActorOf(Props.Create(() =>
                new BurstDriver(m.Device, settings.BurstPages, settings.WorkingSetPages, burstsPerUnit, settings.BurstWindow, done)))).ToList();
            foreach (var d in drivers) BenchmarkSystems.AwaitCreated(d);

            var start = Stopwatch.GetTimestamp();
            foreach (var d in drivers) d.Tell(BurstDriver.Start, null);
            BenchmarkSystems.Wait(done.Task, "translation bursts");
            var elapsed = Stopwatch.GetElapsedTime(start);

            long hits = 0, walks = 0, faults = 0;
            for (var u = 0; u < units; u++)
            {
                var after = Ask<IommuUnitStats>(machines[u].Unit.Ref, new GetIommuUnitStats());
                hits += after.IotlbHits + after.MicroTlbHits - before[u].IotlbHits - before[u].MicroTlbHits;
                walks += after.Walks - before[u].Walks;
                faults += after.Faults;
            }
            if (faults != 0 || walks != 0 || drivers.Count == 0)
                throw new InvalidOperationException($"translation run had {faults} faults and {walks} walks; every page should hit");
            return new TranslationRun(Measure.PerSecond(pages, elapsed), (double)hits / pages);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    private sealed record Machine(IommuUnitHandle Unit, IActorRef Device);

    /// <summary>A unit, a device and a domain mapping the working set with leaves of <paramref name="leafBytes"/>; the IOTLB warmed.</summary>
    private static Machine Build(ActorSystem system, PhysicalMemory memory, int index, ulong leafBytes, int microTlb, ulong workingSet)
    {
        var caps = IommuUnitCapabilities.IntelVtd with { MicroTlbEntries = microTlb };
        var unit = IommuUnitActor.Create(system, new IommuUnitConfig($"iommu{index}", caps), memory);
        var device = system.ActorOf(DeviceActor.Props(new DeviceOptions($"dev{index}") { MaxBurstsInFlight = 64 }, unit, memory), $"dev{index}");
        Ask<DeviceStats>(device, new GetDeviceStats());
        var domain = system.ActorOf(IommuDomainActor.Props(unit), $"domain{index}");
        Expect(Ask<Done>(domain, new AttachDevice($"dev{index}", unit.Name)).Errno, "attach");

        // Physically contiguous frames aligned to the leaf: a fresh pool hands them out in order.
        var alignFrames = leafBytes >> PageSize.BaseShift;
        Pfn first;
        do Expect(memory.AllocPage(out first), "alloc"); while (first.Value % alignFrames != 0);
        var frames = workingSet >> PageSize.BaseShift;
        for (ulong i = 1; i < Math.Max(frames, alignFrames); i++)
        {
            Expect(memory.AllocPage(out var next), "alloc");
            if (next != first + i) throw new InvalidOperationException("physical memory did not hand out contiguous frames");
        }
        for (ulong i = 0; i < frames; i++) memory.WritePage(first + i, i);
        var mapBytes = Math.Max(workingSet, leafBytes);
        Expect(Ask<Done>(domain, new IommuMap(new Iova(IovaBase), first.ToPhys(), mapBytes, IommuProt.Read | IommuProt.Write)).Errno, "map");
        var warm = Ask<DmaCompleted>(device, new DmaRead(new Iova(IovaBase), (int)frames));
        Expect(warm.Errno, "warm-up burst");
        return new Machine(unit, device);
    }

    /// <summary>Keeps <c>window</c> bursts in flight through one device over the working set, then signals.</summary>
    private sealed class BurstDriver : WindowedDriver
    {
        private readonly IActorRef _device;
        private readonly DmaRead[] _bursts;

        public BurstDriver(IActorRef device, int burstPages, int workingSetPages, long total, int window, Countdown done)
            : base(total, window, done)
        {
            _device = device;
            // The bursts cycle over the working set; the messages are made once and reused.
            _bursts = Enumerable.Range(0, Math.Max(1, workingSetPages / burstPages))
                .Select(i => new DmaRead(new Iova(IovaBase + ((ulong)(i * burstPages) << PageSize.BaseShift)), burstPages)).ToArray();
        }

        protected override bool IsAnswer(object message)
        {
            if (message is not DmaCompleted completed) return false;
            if (completed.Errno != Errno.None) throw new InvalidOperationException($"burst failed: {completed.Errno}");
            return true;
        }

        protected override void Send(long index) => _device.Tell(_bursts[index % _bursts.Length], Self);
    }
}
