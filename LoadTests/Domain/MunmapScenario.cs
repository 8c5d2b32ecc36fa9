using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Mm;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// The wall time of one munmap of a range that 16 mirrors map through 4 HMM domains: 4 IOMMU
/// units, each with one UNMANAGED IOMMU domain and 4 devices attached to it, each device mirroring
/// the one mm; every mirror faults the whole range in (the first for write, so every page is a
/// fresh frame; the HMM domain maps each leaf directory once and the other mirrors' faults update
/// it). Timed from the munmap's send to its answer: the MUNMAP invalidation reaches 16 mirrors and
/// 4 HMM domains, each HMM domain unmaps its directories in its IOMMU domain (one IOTLB sync), all
/// fence, then the mm frees the pages and answers. Checked after: nothing mapped anywhere.
/// </summary>
public sealed class MunmapScenario(DomainSettings settings) : IScenario
{
    public const string ScenarioName = "munmap";

    public string Name => ScenarioName;

    private readonly record struct MunmapRun(double Milliseconds, long IommuPages, long Syncs);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var domains = settings.MunmapHmmDomains;
        var mirrors = domains * settings.MunmapMirrorsPerDomain;
        var pages = (long)(settings.MunmapBytes >> PageSize.BaseShift);
        var runs = Measure.Runs(settings.Measure, RunOnce);
        var median = Measure.Median(runs.Select(r => r.Milliseconds));
        report(new ScenarioResult(
            Name,
            $"bytes={settings.MunmapBytes >> 20}MiB mirrors={mirrors} hmm_domains={domains}",
            $"{ResultTable.Number(median, "0.0")} ms ({ResultTable.Rate(pages * mirrors / (median / 1000), "mirror pages/s")})",
            string.Join(", ", runs.Select(r => ResultTable.Number(r.Milliseconds, "0.0") + " ms")),
            new JsonObject
            {
                ["scenario"] = Name,
                ["bytes"] = settings.MunmapBytes,
                ["pages"] = pages,
                ["mirrors"] = mirrors,
                ["hmm_domains"] = domains,
                ["iommu_pages_unmapped"] = runs[0].IommuPages,
                ["iotlb_syncs"] = runs[0].Syncs,
                ["median_ms"] = BenchmarkReport.Round(median, 3),
                ["runs_ms"] = BenchmarkReport.Array(runs.Select(r => r.Milliseconds), 3),
            }));
    }

    private MunmapRun RunOnce()
    {
        var system = BenchmarkSystems.ThreadPool("munmap");
        try
        {
            var bytes = settings.MunmapBytes;
            var pages = (long)(bytes >> PageSize.BaseShift);
            var memory = new PhysicalMemory(bytes + (64UL << 20));
            var mm = system.ActorOf(MmActor.Props(memory, d => HmmDomainActor.Props(d)), "mm");
            Expect(Ask<MmapReply>(mm, new Mmap(bytes, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(FaultScenario.Base))).Errno, "mmap");
            var domains = new List<IActorRef>();
            var mirrors = new List<IActorRef>();
            for (var k = 0; k < settings.MunmapHmmDomains; k++)
            {
                var unit = IommuUnitActor.Create(system, new IommuUnitConfig($"iommu{k}", IommuUnitCapabilities.IntelVtd), memory);
                var domain = system.ActorOf(IommuDomainActor.Props(unit), $"domain{k}");
                domains.Add(domain);
                for (var j = 0; j < settings.MunmapMirrorsPerDomain; j++)
                {
                    var name = $"dev{k}.{j}";
                    var device = system.ActorOf(DeviceActor.Props(new DeviceOptions(name), unit, memory), name);
                    Ask<DeviceStats>(device, new GetDeviceStats());
                    Expect(Ask<Done>(domain, new AttachDevice(name, unit.Name)).Errno, "attach");
                    var mirror = system.ActorOf(HmmMirrorActor.Props(mm, name, memory, domain), $"mirror{k}.{j}");
                    mirrors.Add(mirror);
                }
            }
            // The first mirror allocates every page (a write fault), then the others fault it in at once.
            Fault(system, mirrors.Take(1), write: true, pages);
            Fault(system, mirrors.Skip(1), write: false, pages);
            var before = domains.Select(d => Ask<IommuDomainStats>(d, new GetIommuDomainStats())).ToList();

            var start = Stopwatch.GetTimestamp();
            var task = mm.Ask<Done>(new Munmap(new VirtAddr(FaultScenario.Base), bytes), TimeSpan.FromMinutes(3));
            BenchmarkSystems.Wait(task, "munmap");
            var elapsed = Stopwatch.GetElapsedTime(start);
            Expect(task.Result.Errno, "munmap");

            var after = domains.Select(d => Ask<IommuDomainStats>(d, new GetIommuDomainStats())).ToList();
            if (after.Any(s => s.MappedBytes != 0 || s.IovaAllocated != 0) || mirrors.Any(m => Ask<MirrorStats>(m, new GetMirrorStats()).MappedPages != 0)
                || Ask<MmStats>(mm, new GetMmStats()).ResidentPages != 0)
                throw new InvalidOperationException("something is still mapped after the munmap");
            return new MunmapRun(elapsed.TotalMilliseconds, before.Sum(s => s.Leaves), after.Sum(s => s.IotlbSyncs) - before.Sum(s => s.IotlbSyncs));
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    private void Fault(ActorSystem system, IEnumerable<IActorRef> mirrors, bool write, long pages)
    {
        var list = mirrors.ToList();
        var batch = settings.FaultBatchPages;
        var done = new Countdown(list.Count);
        var drivers = list.Select(m => system.ActorOf(Props.Create(() =>
            new FaultScenario.FaultDriver(m, write, batch, pages / batch, settings.FaultWindow, done)))).ToList();
        foreach (var d in drivers) BenchmarkSystems.AwaitCreated(d);
        foreach (var d in drivers) d.Tell(FaultScenario.FaultDriver.Start, null);
        BenchmarkSystems.Wait(done.Task, "faulting the range in");
        foreach (var d in drivers) system.Stop(d);
    }

}
