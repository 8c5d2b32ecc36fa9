using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Tests.Iommu;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.HmmDomain;

/// <summary>
/// The DMA safety check over many deterministic schedules of a munmap racing device DMA: two
/// devices (one with an ATC) keep reading a directory the HMM domain mapped while the mm side
/// invalidates it and, at its fence, frees the pages. No schedule may let a device touch a freed
/// page or translate an IOVA after its unmap was answered; with the injected bugs some must.
/// </summary>
public sealed class HmmDomainRaceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const ulong Dir = 0x7f00_0000_0000UL;
    private const int Pages = 8;

    /// <summary>Reads the same IOVA range through a device, burst after burst, then tells <c>done</c>.</summary>
    private sealed class DmaLoop : ReceiveActor
    {
        public DmaLoop(IActorRef device, Iova iova, int bursts, IActorRef done)
        {
            var left = bursts;
            Receive<string>(_ => device.Tell(new DmaRead(iova, Pages), Self));
            Receive<DmaCompleted>(_ =>
            {
                if (--left > 0) device.Tell(new DmaRead(iova, Pages), Self);
                else done.Tell("done", Self);
            });
        }
    }

    /// <summary>Collects the replies the run needs, in arrival order.</summary>
    private sealed class Inbox : ReceiveActor
    {
        public Inbox(List<object> received) => ReceiveAny(m => received.Add(m));
    }

    private sealed record Outcome(int Violations, int Accesses, int DeadFrameAccesses);

    private static Outcome RunSeed(ulong seed, HmmDomainOptions hmmOptions, IommuUnitConfig? unitConfig = null)
    {
        using var system = ActorSystem.Create($"race{seed}", $$"""
            akka.stdout-loglevel = OFF
            akka.loglevel = OFF
            akka.actor.default-dispatcher = ${akka.actor.deterministic-dispatcher}
            akka.actor.default-dispatcher { seed = {{seed}}, strategy = random, record-schedule = off }
            """);
        var d = system.Deterministic!;
        var memory = new PhysicalMemory(64UL << 20);
        var received = new List<object>();
        var inbox = system.ActorOf(Props.Create(() => new Inbox(received)), "inbox");
        object Next()
        {
            var count = received.Count;
            Assert.True(d.RunUntil(() => received.Count > count, TimeSpan.FromSeconds(10)), "no reply");
            return received[count];
        }

        var unit = IommuUnitActor.Create(system, unitConfig ?? new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd), memory);
        var gpu0 = system.ActorOf(DeviceActor.Props(new DeviceOptions("gpu0"), unit, memory), "gpu0");
        var gpu1 = system.ActorOf(DeviceActor.Props(new DeviceOptions("gpu1") { AtcEntries = 4 }, unit, memory), "gpu1");
        gpu0.Tell(new GetDeviceStats(), inbox);
        gpu1.Tell(new GetDeviceStats(), inbox);
        Next();
        Next();
        var iommu = system.ActorOf(IommuDomainActor.Props(unit), "iommu-domain");
        iommu.Tell(new AttachDevice("gpu0", "iommu0"), inbox);
        Assert.Equal(Done.Ok, Next());
        iommu.Tell(new AttachDevice("gpu1", "iommu0"), inbox);
        Assert.Equal(Done.Ok, Next());
        var hmm = system.ActorOf(HmmDomainActor.Props(iommu, hmmOptions), "hmm-domain");

        var frames = new Pfn[Pages];
        var entries = new HmmPfn?[512];
        for (var i = 0; i < Pages; i++)
        {
            Assert.Equal(Errno.None, memory.AllocPage(out frames[i]));
            entries[i] = new HmmPfn(frames[i], Write: false);
        }
        hmm.Tell(new MapDirectory(AddressRange.FromLength(Dir, 2UL << 20), entries) { ReadSequence = 0 }, inbox);
        var iova = Assert.IsType<DirectoryMapped>(Next()).IovaBase;

        var events = new List<object>();
        using var subscription = system.EventStream.Subscribe(typeof(ITraceEvent), e => events.Add(e));
        system.ActorOf(Props.Create(() => new DmaLoop(gpu0, iova, 6, inbox))).Tell("go", null);
        system.ActorOf(Props.Create(() => new DmaLoop(gpu1, iova, 6, inbox))).Tell("go", null);
        hmm.Tell(new MmuInvalidate(AddressRange.FromLength(Dir, Pages * 4096UL), InvalidationEvent.Munmap, 1), inbox);

        // The mm frees the pages the moment the fence arrives (the end of its invalidation).
        var doneCount = 0;
        while (true)
        {
            var reply = Next();
            if (reply is InvalidationFence)
            {
                foreach (var frame in frames) memory.PutPage(frame);
                break;
            }
            doneCount++;
        }
        while (doneCount < 2)
        {
            Next();
            doneCount++;
        }
        d.RunUntilQuiescent();
        var accesses = events.OfType<DeviceDma>().ToList();
        return new Outcome(IommuKitSafety.Violations(events).Count, accesses.Count, accesses.Count(a => !a.PageLive));
    }

    [Fact]
    public void A_thousand_schedules_of_munmap_against_dma_never_touch_a_freed_page()
    {
        var total = new Outcome(0, 0, 0);
        for (ulong seed = 1; seed <= 1000; seed++)
        {
            var o = RunSeed(seed, HmmDomainOptions.Default);
            Assert.True(o.Violations == 0, $"seed {seed}: {o.Violations} violations");
            total = new Outcome(total.Violations + o.Violations, total.Accesses + o.Accesses, total.DeadFrameAccesses + o.DeadFrameAccesses);
        }
        output.WriteLine($"1000 schedules: {total.Accesses} page accesses, {total.DeadFrameAccesses} to dead frames, {total.Violations} violations");
        Assert.Equal(0, total.DeadFrameAccesses);
        // The schedules did race: devices read the pages in some of them before the unmap.
        Assert.True(total.Accesses > 0);
    }

    [Fact]
    public void The_injected_bugs_are_caught_by_the_same_check()
    {
        var skipUnmap = Enumerable.Range(1, 50).Select(s => RunSeed((ulong)s, new HmmDomainOptions { SkipUnmapOnMunmap = true })).ToList();
        output.WriteLine($"skip-unmap bug: {skipUnmap.Count(o => o.Violations > 0)} of 50 schedules caught");
        Assert.Contains(skipUnmap, o => o.Violations > 0);
        var dropAtc = Enumerable.Range(1, 50).Select(s => RunSeed((ulong)s, HmmDomainOptions.Default,
            new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd) { DropDeviceTlbInvalidation = true })).ToList();
        output.WriteLine($"dropped ATC invalidation: {dropAtc.Count(o => o.Violations > 0)} of 50 schedules caught");
        Assert.Contains(dropAtc, o => o.Violations > 0);
    }
}
