using IommuSim.Actors.Hmm;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tests.Mirror;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>
/// hmm-tests.c's anon_teardown as a deterministic scenario: a device (a mirror behind a fake HMM
/// domain that answers MapDirectory late) reads a buffer that straddles two leaf directories
/// while the process unmaps its second half after a seed-dependent delay. One run per seed on a
/// <see cref="DeterministicTestKit"/>; the DMA safety oracle watches every access.
/// </summary>
internal static class MunmapFaultRace
{
    public const int Pages = 64;

    /// <summary>The unmapper waits between 0 and MaxDelay - 1 rounds, depending on the seed.</summary>
    public const int MaxDelay = 24;

    /// <summary>The buffer starts 32 pages below a 2 MiB boundary, so its halves are in two leaf directories.</summary>
    public const ulong Buffer = 0x10_0020_0000UL - 32 * 4096;

    public sealed record Outcome(
        ulong Seed,
        Errno ReadErrno,
        bool DataCorrect,
        IReadOnlyList<DmaViolation> Violations,
        long UseAfterFree,
        long Retries,
        long Deliveries,
        ulong TraceHash);

    private const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        akka.actor.default-dispatcher.pct-max-steps = 400
        """;

    public static Outcome Run(ulong seed, MirrorOptions? mirrorOptions = null, MmOptions? mmOptions = null, int domainDelay = 3, string strategy = "random")
    {
        using var kit = new DeterministicTestKit(null, seed, strategy, Quiet);
        var system = kit.Sys;
        var d = kit.Dispatcher;
        var memory = new PhysicalMemory(4UL << 20);
        using var oracle = DmaSafetyOracle.Attach(system.EventStream);
        var iommu = system.ActorOf(Props.Create(() => new NullActor()), "iommu");
        var unmapper = system.ActorOf(Props.Create(() => new Delayer()), "unmapper");
        var mm = system.ActorOf(MmActor.Props(memory, _ => FakeHmmDomain.Props(domainDelay), mmOptions), "mm");
        var mirror = system.ActorOf(HmmMirrorActor.Props(mm, "dmirror0", memory, iommu, mirrorOptions), "mirror");

        // The process maps the buffer and writes a value into every page.
        kit.Send(mm, new Mmap(Pages * 4096UL, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(Buffer)));
        for (var i = 0; i < Pages; i++) kit.Send(mm, new CpuWrite(new VirtAddr(Buffer + (ulong)i * 4096), Value(seed, i)));
        d.RunUntilQuiescent();
        kit.ReceiveN(Pages + 1);

        // The race: the device reads everything while the process unmaps the second half.
        kit.Send(mirror, new MirrorRead(new VirtAddr(Buffer), Pages));
        var unmap = new Munmap(new VirtAddr(Buffer + Pages / 2 * 4096UL), Pages / 2 * 4096UL);
        unmapper.Tell(new Delayer.Later((int)(seed % MaxDelay), mm, unmap, kit.TestActor), ActorRefs.NoSender);
        d.RunUntilQuiescent();
        var replies = kit.ReceiveN(2);
        var steps = d.Steps;
        var hash = d.TraceHash;

        var read = replies.OfType<MirrorCmdReply>().Single();
        var correct = read.Errno != Errno.None
            || (read.Values.Count == Pages && read.Values.Select((v, i) => v == Value(seed, i)).All(ok => ok));
        var stats = kit.Call<MirrorStats>(mirror, new GetMirrorStats());
        return new Outcome(seed, read.Errno, correct, oracle.Violations, memory.Counters.UseAfterFree, stats.Retries, steps, hash);
    }

    private static T Call<T>(this TestKitBase kit, IActorRef target, object message)
    {
        kit.Send(target, message);
        return kit.ExpectMsg<T>();
    }

    public static ulong Value(ulong seed, int page) => (seed << 20) | (uint)page | 0x8000_0000_0000_0000UL;
}
