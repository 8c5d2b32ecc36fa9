using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tests.Oracle;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// hmm-tests.c's anon_teardown over the real actors, with the device behind an IOMMU: a driver
/// faults a buffer that straddles two leaf directories in through its mirror (the HMM domain maps
/// both directories in the IOMMU domain), then has its device DMA the buffer by IOVA, burst after
/// burst, while the process unmaps the buffer's second half after a seed-dependent delay. Two
/// devices do it at once: gpu0 translated by the unit, gpu1 through its own ATC. One run per seed
/// on a <see cref="DeterministicTestKit"/>; the DMA safety oracle watches every access.
/// </summary>
internal static class IommuMunmapRace
{
    public const int Pages = 64;
    public const int Rounds = 3;

    /// <summary>The unmapper waits between 0 and MaxDelay - 1 rounds, depending on the seed.</summary>
    public const int MaxDelay = 40;

    /// <summary>32 pages below a 2 MiB boundary: the halves are in two leaf directories, at two IOVA ranges.</summary>
    public const ulong Buffer = 0x10_0020_0000UL - 32 * 4096;

    public sealed record Outcome(
        ulong Seed,
        Errno ReadErrno,
        bool DataCorrect,
        int DmaPages,
        int DmaFaults,
        IReadOnlyList<DmaViolation> Violations,
        long UseAfterFree,
        long DeviceAccesses,
        long Deliveries,
        ulong TraceHash);

    /// <summary>What one driver saw: its mirror read's errno, and each burst's result with the buffer page it started at.</summary>
    public sealed record DriverDone(string Device, Errno ReadErrno, IReadOnlyList<(int FirstPage, DmaCompleted Result)> Bursts);

    private const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        """;

    public static Outcome Run(ulong seed, MachineBugs? bugs = null, string strategy = "random")
    {
        using var kit = new DeterministicTestKit(null, seed, strategy, Quiet);
        var d = kit.Dispatcher;
        using var m = new IommuMachine(kit, bugs, 16UL << 20, ("gpu0", 0), ("gpu1", 8));
        m.Mmap(Pages, new VirtAddr(Buffer));
        for (var i = 0; i < Pages; i++) kit.Send(m.Mm, new CpuWrite(new VirtAddr(Buffer + (ulong)i * 4096), Value(seed, i)));
        d.RunUntilQuiescent();
        kit.ReceiveN(Pages);

        var unmapper = kit.Sys.ActorOf(Props.Create(() => new Delayer()), "unmapper");
        foreach (var device in m.Devices.Keys)
        {
            var driver = kit.Sys.ActorOf(Props.Create(() => new DmaDriver(device, m.Mirrors[device], m.Devices[device], m.IovaOf, kit.TestActor)), "driver-" + device);
            driver.Tell(DmaDriver.Go, ActorRefs.NoSender);
        }
        var unmap = new Munmap(new VirtAddr(Buffer + Pages / 2 * 4096UL), Pages / 2 * 4096UL);
        unmapper.Tell(new Delayer.Later((int)(seed % MaxDelay), m.Mm, unmap, kit.TestActor), ActorRefs.NoSender);
        d.RunUntilQuiescent();
        var replies = kit.ReceiveN(3);
        Assert(replies.OfType<Done>().Single().Errno == Errno.None, "munmap failed");

        var drivers = replies.OfType<DriverDone>().ToList();
        var correct = true;
        int pages = 0, faults = 0;
        foreach (var (first, result) in drivers.SelectMany(r => r.Bursts))
        {
            pages += result.Pages;
            if (result.Errno != Errno.None) faults++;
            for (var i = 0; i < result.Values.Count; i++) correct &= result.Values[i] == Value(seed, first + i);
        }
        var readErrno = drivers.Select(r => r.ReadErrno).FirstOrDefault(e => e != Errno.None);
        return new Outcome(seed, readErrno, correct, pages, faults, m.Oracle.Violations, m.Memory.Counters.UseAfterFree,
            m.Oracle.DeviceAccesses, d.Steps, d.TraceHash);
    }

    public static ulong Value(ulong seed, int page) => (seed << 20) | (uint)page | 0x8000_0000_0000_0000UL;

    private static void Assert(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }

    /// <summary>
    /// The device driver: fault the buffer in through the mirror, then DMA each IOVA-contiguous run
    /// of it, <see cref="Rounds"/> times, one burst at a time; report everything to <c>report</c>.
    /// </summary>
    private sealed class DmaDriver : ReceiveActor
    {
        public static readonly object Go = new();

        private readonly List<(int FirstPage, DmaCompleted Result)> _bursts = [];
        private readonly Queue<(int FirstPage, DmaRead Burst)> _plan = new();

        public DmaDriver(string name, IActorRef mirror, IActorRef device, Func<string, ulong, Iova?> iovaOf, IActorRef report)
        {
            var first = 0;
            Receive<object>(m => ReferenceEquals(m, Go), _ => mirror.Tell(new MirrorRead(new VirtAddr(Buffer), Pages), Self));
            Receive<MirrorCmdReply>(r =>
            {
                if (r.Errno != Errno.None)
                {
                    report.Tell(new DriverDone(name, r.Errno, _bursts), Self);
                    return;
                }
                var runs = Runs(name, iovaOf);
                for (var round = 0; round < Rounds; round++)
                    foreach (var run in runs) _plan.Enqueue(run);
                first = Next(device, report, name);
            });
            Receive<DmaCompleted>(c =>
            {
                _bursts.Add((first, c));
                first = Next(device, report, name);
            });
        }

        private int Next(IActorRef device, IActorRef report, string name)
        {
            if (!_plan.TryDequeue(out var next))
            {
                report.Tell(new DriverDone(name, Errno.None, _bursts), Self);
                return -1;
            }
            device.Tell(next.Burst, Self);
            return next.FirstPage;
        }

        /// <summary>The buffer's pages as bursts over consecutive IOVAs (one per leaf directory).</summary>
        private static List<(int FirstPage, DmaRead Burst)> Runs(string name, Func<string, ulong, Iova?> iovaOf)
        {
            var runs = new List<(int, DmaRead)>();
            int start = 0;
            for (var i = 1; i <= Pages; i++)
            {
                var begin = iovaOf(name, Buffer + (ulong)start * 4096)!.Value;
                if (i < Pages && iovaOf(name, Buffer + (ulong)i * 4096) == begin + (ulong)(i - start) * 4096) continue;
                runs.Add((start, new DmaRead(begin, i - start)));
                start = i;
            }
            return runs;
        }
    }
}
