using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tests.Oracle;
using IommuSim.Actors.Tests.Sva;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// SVA under concurrency, one run per seed on a <see cref="DeterministicTestKit"/>: two devices
/// behind two units bind one mm and DMA by (PASID, VA) over a buffer part of which was never
/// touched (so they page-fault), a writer device writes its own pages through write page
/// requests, and meanwhile the process unmaps the middle of the buffer after a seed-dependent
/// delay; each driver issues its last burst (into untouched pages, so it page-faults) and unbinds
/// at the same moment, so the unbind races with its faults. The DMA safety, fault-response and
/// refcount oracles watch every event; the data each burst returns is checked.
/// </summary>
/// <remarks>
/// Buffer pages: 0..15 written by the CPU (value V(i)); 16..23 never touched (zero page); 24..31
/// the writer's (it writes W(i), then reads them back); 32..35 the reader's last burst and 36..39
/// the writer's last burst, both never touched before. The munmap takes pages 8..23.
/// </remarks>
internal static class SvaRace
{
    public const int Pages = 40;
    public const int Rounds = 2;
    public const int MaxDelay = 60;
    private const ulong Page = SvaMachine.Page;
    private const ulong Base = SvaMachine.Base;

    public sealed record Outcome(
        ulong Seed,
        bool DataCorrect,
        string? DataError,
        int DmaPages,
        int Faulted,
        long PageRequests,
        long PageResponses,
        IReadOnlyList<DmaViolation> DmaViolations,
        IReadOnlyList<InvariantViolation> IopfViolations,
        IReadOnlyList<InvariantViolation> RefcountViolations,
        long UseAfterFree,
        long Deliveries,
        ulong TraceHash)
    {
        public bool Clean => DmaViolations.Count == 0 && IopfViolations.Count == 0 && RefcountViolations.Count == 0 && UseAfterFree == 0;
    }

    /// <summary>What a driver saw: its bind, each burst (first page, result) and its unbind.</summary>
    public sealed record DriverDone(string Device, Errno Bind, Errno Unbind, IReadOnlyList<(int FirstPage, bool Write, SvaDmaCompleted Result)> Bursts);

    private const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        """;

    public static ulong CpuValue(ulong seed, int page) => (seed << 20) | (uint)page | 0x4000_0000_0000_0000UL;

    public static ulong DeviceValue(ulong seed, int page) => (seed << 20) | (uint)page | 0x2000_0000_0000_0000UL;

    public static Outcome Run(ulong seed, SvaMachineSpec? spec = null, string strategy = "random")
    {
        using var kit = new DeterministicTestKit(null, seed, strategy, Quiet);
        var d = kit.Dispatcher;
        using var m = new SvaMachine(kit, (spec ?? new SvaMachineSpec()) with { Units = 2, DevicesPerUnit = 1, RamBytes = 16UL << 20 });
        m.Mmap(Pages);
        for (var i = 0; i < 16; i++) kit.Send(m.Mm, new CpuWrite(new VirtAddr(Base + (ulong)i * Page), CpuValue(seed, i)));
        d.RunUntilQuiescent();
        kit.ReceiveN(16);

        var readerPlan = new List<(int, int, bool)>();
        for (var r = 0; r < Rounds; r++)
            for (var first = 0; first < 32; first += 8) readerPlan.Add((first, 8, false));
        readerPlan.Add((32, 4, false));
        var writerPlan = new List<(int, int, bool)> { (24, 8, true), (24, 8, false) };
        for (var r = 0; r < Rounds; r++)
            for (var first = 0; first < 16; first += 8) writerPlan.Add((first, 8, false));
        writerPlan.Add((36, 4, true));

        var drivers = new[] { ("dev0.0", readerPlan), ("dev1.0", writerPlan) };
        foreach (var (device, plan) in drivers)
        {
            var (actor, unit) = m.Devices[device];
            var driver = kit.Sys.ActorOf(Props.Create(() => new SvaDriver(seed, device, actor, unit.Ref, m.Sva, m.Mm, plan, kit.TestActor)), "driver-" + device);
            driver.Tell(SvaDriver.Go, ActorRefs.NoSender);
        }
        var unmapper = kit.Sys.ActorOf(Props.Create(() => new Delayer()), "unmapper");
        unmapper.Tell(new Delayer.Later((int)(seed % MaxDelay), m.Mm, new Munmap(new VirtAddr(Base + 8 * Page), 16 * Page), kit.TestActor), ActorRefs.NoSender);
        d.RunUntilQuiescent();
        var replies = kit.ReceiveN(3);
        Check(replies.OfType<Done>().Single().Errno == Errno.None, "munmap failed");
        var done = replies.OfType<DriverDone>().ToList();

        string? error = null;
        int pages = 0, faulted = 0;
        var writerWrote = false;
        foreach (var driver in done)
        {
            if (driver.Bind != Errno.None) error ??= $"{driver.Device}: bind {driver.Bind}";
            if (driver.Unbind != Errno.None) error ??= $"{driver.Device}: unbind {driver.Unbind}";
            foreach (var (first, write, result) in driver.Bursts)
            {
                pages += result.Pages;
                if (result.Errno != Errno.None) faulted++;
                if (result.Errno is not (Errno.None or Errno.EFAULT)) error ??= $"{driver.Device}: burst at page {first}: {result.Errno}";
                if (write && first == 24) writerWrote = result.Errno == Errno.None;
                for (var i = 0; i < result.Values.Count; i++)
                    if (!Expected(seed, first + i, driver.Device == "dev1.0", writerWrote, result.Values[i]))
                        error ??= $"{driver.Device}: page {first + i} read {result.Values[i]:x}";
            }
        }
        // The writer's pages hold what it wrote (they are not in the unmapped range).
        if (writerWrote)
            for (var i = 24; i < 32; i++)
            {
                kit.Send(m.Mm, new CpuRead(new VirtAddr(Base + (ulong)i * Page)));
                if (kit.ExpectMsg<CpuReadReply>().Value != DeviceValue(seed, i)) error ??= $"CPU reads page {i} not written by the device";
            }

        kit.Send(m.Mm, new Exit());
        kit.ExpectMsg<Done>();
        d.RunUntilQuiescent();
        m.Iopf.CheckTeardown();
        m.Refcounts.CheckTeardown();
        var iopf = Enumerable.Range(0, 2).Select(m.IopfStats).ToList();
        return new Outcome(seed, error is null, error, pages, faulted, iopf.Sum(s => s.PageRequests), iopf.Sum(s => s.PageResponses),
            m.Dma.Violations, m.Iopf.Violations, m.Refcounts.Violations, m.Memory.Counters.UseAfterFree, d.Steps, d.TraceHash);
    }

    /// <summary>A value a read may return: the CPU's for pages 0..15, zero for untouched ones, the writer's (or zero, before it wrote) for 24..31.</summary>
    private static bool Expected(ulong seed, int page, bool isWriter, bool writerWrote, ulong value) => page switch
    {
        < 16 => value == CpuValue(seed, page),
        < 24 => value == 0,
        < 32 => value == DeviceValue(seed, page) || (!(isWriter && writerWrote) && value == 0),
        _ => value == 0,
    };

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }

    /// <summary>
    /// A device driver: bind the mm, run its bursts one at a time, and with the last one unbind
    /// without waiting for it (the device stops using the PASID while its faults may be pending).
    /// </summary>
    private sealed class SvaDriver : ReceiveActor
    {
        public static readonly object Go = new();

        private readonly List<(int, bool, SvaDmaCompleted)> _bursts = [];
        private readonly Queue<(int First, int Pages, bool Write)> _plan;
        private (int First, bool Write) _current;
        private Errno _bind = Errno.None;
        private Errno? _unbind;
        private bool _lastSent;

        public SvaDriver(ulong seed, string device, IActorRef deviceActor, IActorRef unit, IActorRef sva, IActorRef mm,
            IReadOnlyList<(int, int, bool)> plan, IActorRef report)
        {
            _plan = new Queue<(int, int, bool)>(plan);
            var pasid = Pasid.Invalid;
            long bond = 0;
            void Finish() => report.Tell(new DriverDone(device, _bind, _unbind ?? Errno.None, _bursts), Self);
            void Next()
            {
                var (first, pages, write) = _plan.Dequeue();
                _current = (first, write);
                var at = new VirtAddr(Base + (ulong)first * Page);
                object burst = write
                    ? new DmaWritePasid(pasid, at, [.. Enumerable.Range(first, pages).Select(p => DeviceValue(seed, p))])
                    : new DmaReadPasid(pasid, at, pages);
                deviceActor.Tell(burst, Self);
                if (_plan.Count > 0) return;
                _lastSent = true;
                sva.Tell(new SvaUnbindDevice(bond), Self);
            }
            Receive<object>(msg => ReferenceEquals(msg, Go), _ => sva.Tell(new SvaBindDevice(device, unit, mm), Self));
            Receive<SvaBond>(b =>
            {
                _bind = b.Errno;
                if (b.Errno != Errno.None)
                {
                    Finish();
                    return;
                }
                (pasid, bond) = (b.Pasid, b.BondId);
                Next();
            });
            Receive<SvaDmaCompleted>(c =>
            {
                _bursts.Add((_current.First, _current.Write, c));
                if (!_lastSent) Next();
                else if (_unbind is not null) Finish();
            });
            Receive<Done>(u =>
            {
                _unbind = u.Errno;
                if (_bursts.Count == plan.Count) Finish();
            });
        }
    }
}
