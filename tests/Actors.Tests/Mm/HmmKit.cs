using IommuSim.Actors.Hmm;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mm;

/// <summary>
/// A test kit with a machine (64 MiB of RAM, 16 MiB of device memory for each of the devices
/// "dmirror0" and "dmirror1", as lib/test_hmm.c's two devices), one mm, and a DMA safety oracle
/// on the event stream; the helpers speak to the actors as a process and its devices would.
/// Derived test classes run on the thread-pool dispatcher or on the deterministic one.
/// </summary>
public abstract class HmmKit : TestKit.TestKit
{
    public const ulong Page = 4096;
    public const string Dev0 = "dmirror0";
    public const string Dev1 = "dmirror1";
    protected const Prot RW = Prot.Read | Prot.Write;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    protected HmmKit(ITestOutputHelper output, bool deterministic, ulong seed = 7, ulong ramBytes = 64UL << 20, MmOptions? mmOptions = null)
        : base(output, DispatcherConfig(deterministic, seed))
    {
        Memory = new PhysicalMemory(ramBytes);
        Memory.AddDevicePool(Dev0, 16UL << 20);
        Memory.AddDevicePool(Dev1, 16UL << 20);
        Oracle = DmaSafetyOracle.Attach(Sys.EventStream);
        Mm = Sys.ActorOf(MmActor.Props(Memory, _ => Mirror.FakeHmmDomain.Props(1, _domainLog), mmOptions), "mm");
    }

    public static string? DispatcherConfig(bool deterministic, ulong seed) => deterministic
        ? $$"""
            akka.actor.default-dispatcher = ${akka.actor.deterministic-dispatcher}
            akka.actor.default-dispatcher { seed = {{seed}}, strategy = random }
            """
        : null;

    public PhysicalMemory Memory { get; }
    public IActorRef Mm { get; }
    public DmaSafetyOracle Oracle { get; }

    private readonly List<object> _domainLog = [];

    /// <summary>A copy of what the HMM domains the mm created have received so far, in order.</summary>
    public IReadOnlyList<object> DomainLog
    {
        get
        {
            lock (_domainLog) return [.. _domainLog];
        }
    }

    public T Call<T>(IActorRef target, object message)
    {
        Send(target, message);
        return ExpectMsg<T>(CallTimeout);
    }

    public ulong Mmap(ulong pages, Prot prot = RW, MapKind kind = MapKind.Private, IActorRef? mm = null)
    {
        var r = Call<MmapReply>(mm ?? Mm, new Mmap(pages * Page, prot, kind));
        Assert.Equal(Errno.None, r.Errno);
        return r.Address.Value;
    }

    public Errno CpuWrite(ulong addr, ulong value, IActorRef? mm = null) => Call<Done>(mm ?? Mm, new CpuWrite(new VirtAddr(addr), value)).Errno;

    public CpuReadReply CpuReadReply(ulong addr, IActorRef? mm = null) => Call<CpuReadReply>(mm ?? Mm, new CpuRead(new VirtAddr(addr)));

    public ulong CpuRead(ulong addr, IActorRef? mm = null)
    {
        var r = CpuReadReply(addr, mm);
        Assert.Equal(Errno.None, r.Errno);
        return r.Value;
    }

    /// <summary>Writes <paramref name="value"/>(i) into page i of the buffer.</summary>
    public void CpuFill(ulong addr, ulong pages, Func<ulong, ulong> value, IActorRef? mm = null)
    {
        for (ulong i = 0; i < pages; i++) Assert.Equal(Errno.None, CpuWrite(addr + i * Page, value(i), mm));
    }

    public ulong[] CpuReadAll(ulong addr, ulong pages, IActorRef? mm = null)
    {
        var values = new ulong[pages];
        for (ulong i = 0; i < pages; i++) values[i] = CpuRead(addr + i * Page, mm);
        return values;
    }

    public Errno Munmap(ulong addr, ulong pages, IActorRef? mm = null) => Call<Done>(mm ?? Mm, new Munmap(new VirtAddr(addr), pages * Page)).Errno;

    public Errno Mprotect(ulong addr, ulong pages, Prot prot, IActorRef? mm = null) => Call<Done>(mm ?? Mm, new Mprotect(new VirtAddr(addr), pages * Page, prot)).Errno;

    public MmStats Stats(IActorRef? mm = null) => Call<MmStats>(mm ?? Mm, new GetMmStats());

    public IActorRef NewMirror(string device = Dev0, IActorRef? mm = null, IActorRef? iommuDomain = null, MirrorOptions? options = null) =>
        Sys.ActorOf(HmmMirrorActor.Props(mm ?? Mm, device, Memory, iommuDomain, options));

    public MirrorCmdReply DeviceRead(IActorRef mirror, ulong addr, ulong pages) => Call<MirrorCmdReply>(mirror, new MirrorRead(new VirtAddr(addr), pages));

    public MirrorCmdReply DeviceWrite(IActorRef mirror, ulong addr, IReadOnlyList<ulong> values) => Call<MirrorCmdReply>(mirror, new MirrorWrite(new VirtAddr(addr), values));

    public MirrorCmdReply MigrateToDevice(IActorRef mirror, ulong addr, ulong pages) => Call<MirrorCmdReply>(mirror, new MirrorMigrateToDevice(new VirtAddr(addr), pages));

    public MirrorCmdReply MigrateToSystem(IActorRef mirror, ulong addr, ulong pages) => Call<MirrorCmdReply>(mirror, new MirrorMigrateToSystem(new VirtAddr(addr), pages));

    public MirrorCmdReply Exclusive(IActorRef mirror, ulong addr, ulong pages) => Call<MirrorCmdReply>(mirror, new MirrorExclusive(new VirtAddr(addr), pages));

    public Errno CheckExclusive(IActorRef mirror, ulong addr, ulong pages) => Call<Done>(mirror, new MirrorCheckExclusive(new VirtAddr(addr), pages)).Errno;

    public MirrorSnapshotReply Snapshot(IActorRef mirror, ulong addr, ulong pages) => Call<MirrorSnapshotReply>(mirror, new MirrorSnapshot(new VirtAddr(addr), pages));

    public MirrorStats MirrorStats(IActorRef mirror) => Call<MirrorStats>(mirror, new GetMirrorStats());

    public static ulong[] Values(ulong pages, Func<ulong, ulong> value)
    {
        var v = new ulong[pages];
        for (ulong i = 0; i < pages; i++) v[i] = value(i);
        return v;
    }

    /// <summary>No device touched a page it should not have, and nothing used a freed frame.</summary>
    public void AssertDmaSafe()
    {
        var violations = Oracle.Violations;
        Assert.True(violations.Count == 0, violations.Count == 0 ? "" : violations[0].ToString());
        Assert.Equal(0, Memory.Counters.UseAfterFree);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Oracle.Dispose();
        base.Dispose(disposing);
    }
}
