using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Hmm;
using IommuSim.Actors.Mm;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// Pages faulted in per second through mirror → mm → mirror (DESIGN.md protocol 2): each device
/// driver sends its mirror dmirror commands of <c>batch</c> pages over fresh memory, keeping a
/// window of them queued; the mirror faults each 2 MiB leaf directory with one
/// <see cref="RangeFault"/> (the range protocol: 512 pages per message), the mm faults the pages
/// in and answers with their pfns, and the mirror commits them into its device page table and
/// copies one value per page. <c>read</c> faults private anonymous memory for read (the mm maps
/// the zero page, as the kernel does); <c>write</c> allocates and writes every page. Each mm has one
/// mirror; several mms run in parallel. No IOMMU domain on the way: the figure is the fault path.
/// </summary>
public sealed class FaultScenario(DomainSettings settings) : IScenario
{
    public const string ScenarioName = "faults";

    internal const ulong Base = 0x7f00_0000_0000UL;

    public string Name => ScenarioName;

    private readonly record struct FaultRun(double PagesPerSec, long RangeFaults, long Retries);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var write in settings.FaultWrites)
            foreach (var mms in settings.FaultMms)
                report(MeasureCombination(mms, write));
    }

    private ScenarioResult MeasureCombination(int mms, bool write)
    {
        var batch = settings.FaultBatchPages;
        var requestsPerMm = settings.FaultPages / mms / batch;
        var pages = requestsPerMm * batch * mms;
        var runs = Measure.Runs(settings.Measure, () => RunOnce(mms, write, batch, requestsPerMm));
        var median = Measure.Median(runs.Select(r => r.PagesPerSec));
        var access = write ? "write" : "read";
        return new ScenarioResult(
            Name,
            $"mms={mms} access={access} batch={batch} pages={pages}",
            ResultTable.Rate(median, "pages/s"),
            ResultTable.Rates(runs.Select(r => r.PagesPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["mms"] = mms,
                ["access"] = access,
                ["batch_pages"] = batch,
                ["window"] = settings.FaultWindow,
                ["pages"] = pages,
                ["range_faults"] = runs[0].RangeFaults,
                ["retries"] = runs[0].Retries,
                ["median_pages_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_pages_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.PagesPerSec), 1),
            });
    }

    private FaultRun RunOnce(int mms, bool write, int batch, long requestsPerMm)
    {
        var system = BenchmarkSystems.ThreadPool("faults");
        try
        {
            var pagesPerMm = (ulong)(requestsPerMm * batch);
            // Write faults allocate every page; read faults share the zero page.
            var memory = new PhysicalMemory((write ? pagesPerMm * (ulong)mms << PageSize.BaseShift : 0) + (64UL << 20));
            var mirrors = new List<IActorRef>();
            for (var i = 0; i < mms; i++)
            {
                var mm = system.ActorOf(MmActor.Props(memory), $"mm{i}");
                var mmap = Ask<MmapReply>(mm, new Mmap(pagesPerMm << PageSize.BaseShift, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(Base)));
                Expect(mmap.Errno, "mmap");
                // The mirror registers as it starts; its commands wait for the answer.
                var mirror = system.ActorOf(HmmMirrorActor.Props(mm, $"dev{i}", memory), $"mirror{i}");
                mirrors.Add(mirror);
            }
            var done = new Countdown(mms);
            var drivers = mirrors.Select(m => system.ActorOf(Props.Create(() =>
                new FaultDriver(m, write, batch, requestsPerMm, settings.FaultWindow, done)))).ToList();
            foreach (var d in drivers) BenchmarkSystems.AwaitCreated(d);

            var start = Stopwatch.GetTimestamp();
            foreach (var d in drivers) d.Tell(FaultDriver.Start, null);
            BenchmarkSystems.Wait(done.Task, "device faults");
            var elapsed = Stopwatch.GetElapsedTime(start);

            long rangeFaults = 0, retries = 0;
            foreach (var m in mirrors)
            {
                var stats = Ask<MirrorStats>(m, new GetMirrorStats());
                if (stats.MappedPages != (long)pagesPerMm)
                    throw new InvalidOperationException($"a mirror mapped {stats.MappedPages} pages, expected {pagesPerMm}");
                rangeFaults += stats.RangeFaults;
                retries += stats.Retries;
            }
            return new FaultRun(Measure.PerSecond((long)pagesPerMm * mms, elapsed), rangeFaults, retries);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    /// <summary>A device driver: dmirror commands of <c>batch</c> pages over the buffer, <c>window</c> queued at its mirror, then a signal.</summary>
    internal sealed class FaultDriver : WindowedDriver
    {
        private readonly IActorRef _mirror;
        private readonly bool _write;
        private readonly int _batch;
        private readonly ulong[] _values;

        public FaultDriver(IActorRef mirror, bool write, int batch, long total, int window, Countdown done)
            : base(total, window, done)
        {
            _mirror = mirror;
            _write = write;
            _batch = batch;
            _values = Enumerable.Range(0, batch).Select(i => 0xFA_0000UL + (ulong)i).ToArray();
        }

        protected override bool IsAnswer(object message)
        {
            if (message is not MirrorCmdReply reply) return false;
            if (reply.Errno != Errno.None) throw new InvalidOperationException($"device fault failed: {reply.Errno}");
            return true;
        }

        protected override void Send(long index)
        {
            var address = new VirtAddr(Base + ((ulong)(index * _batch) << PageSize.BaseShift));
            _mirror.Tell(_write ? new MirrorWrite(address, _values) : new MirrorRead(address, (ulong)_batch), Self);
        }
    }
}
