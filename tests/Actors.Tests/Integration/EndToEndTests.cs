using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// The stack end to end over the real actors: a mirror's device fault maps the pages through the
/// mm's HmmDomainActor into the IommuDomainActor, the device DMAs by IOVA through its IOMMU unit to
/// the very pages the CPU sees, and munmap takes the IOVAs away (IOTLB and device TLBs flushed and
/// synced) before the mm frees the pages.
/// </summary>
public abstract class EndToEndTests(ITestOutputHelper output, bool deterministic)
    : IommuSim.TestKit.TestKit(output, deterministic ? IommuSim.Actors.Tests.Mm.HmmKit.DispatcherConfig(true, 11) : null)
{
    private const ulong Page = IommuMachine.Page;

    // 16 pages, all in one leaf directory, so their IOVAs are consecutive.
    private const ulong Buffer = 0x10_0040_0000UL;
    private const int Pages = 16;

    private static ulong Value(int i) => 0xC0DE_0000UL + (ulong)i;

    [Fact]
    public void The_device_reads_by_iova_what_the_cpu_wrote_and_the_cpu_reads_what_the_device_wrote()
    {
        using var m = new IommuMachine(this, devices: ("gpu0", 0));
        m.Mmap(Pages, new VirtAddr(Buffer));
        for (var i = 0; i < Pages; i++) m.CpuWrite(Buffer + (ulong)i * Page, Value(i));

        // The device faults the range in for write: its HMM domain maps the directory writable.
        var faulted = m.MirrorWrite("gpu0", Buffer, Enumerable.Range(0, Pages).Select(Value).ToArray());
        Assert.Equal(Errno.None, faulted.Errno);
        var iova = m.IovaOf("gpu0", Buffer)!.Value;
        for (var i = 0; i < Pages; i++) Assert.Equal(iova + (ulong)i * Page, m.IovaOf("gpu0", Buffer + (ulong)i * Page));

        var read = m.DmaRead("gpu0", iova, Pages);
        Assert.Equal((Errno.None, Pages), (read.Errno, read.Pages));
        Assert.Equal(Enumerable.Range(0, Pages).Select(Value), read.Values);

        var written = Enumerable.Range(0, Pages).Select(i => 0xD00D_0000UL + (ulong)i).ToArray();
        Assert.Equal(Errno.None, m.DmaWrite("gpu0", iova, written).Errno);
        for (var i = 0; i < Pages; i++) Assert.Equal(written[i], m.CpuRead(Buffer + (ulong)i * Page));

        var unit = m.UnitStats();
        Assert.Equal(2L * Pages, unit.DmaPages);
        Assert.Equal(0, unit.Faults);
        Assert.True(m.Oracle.DeviceAccesses >= 2 * Pages);
        m.AssertDmaSafe();
    }

    [Fact]
    public void Munmap_unmaps_the_iovas_and_flushes_before_the_pages_are_freed()
    {
        using var m = new IommuMachine(this, devices: [("gpu0", 0), ("gpu1", 8)]);
        using var log = new EventLog(Sys, typeof(IovaUnmapped), typeof(IotlbFlushed), typeof(PageFreed), typeof(InvalidationEnded));
        m.Mmap(Pages, new VirtAddr(Buffer));
        for (var i = 0; i < Pages; i++) m.CpuWrite(Buffer + (ulong)i * Page, Value(i));
        Assert.Equal(Errno.None, m.MirrorRead("gpu0", Buffer, Pages).Errno);
        Assert.Equal(Errno.None, m.MirrorRead("gpu1", Buffer, Pages).Errno);
        var iova = m.IovaOf("gpu0", Buffer)!.Value;
        // Both devices cache the translations: gpu0 in the IOTLB, gpu1 in its own ATC too.
        Assert.Equal(Errno.None, m.DmaRead("gpu0", iova, Pages).Errno);
        Assert.Equal(Errno.None, m.DmaRead("gpu1", iova, Pages).Errno);

        Assert.Equal(Errno.None, m.Munmap(Buffer, Pages));

        // The IOVAs went first (synced, the ATC acknowledging), then the pages, then the answer.
        var events = log.Events;
        var unmapped = events.FindIndex(e => e is IovaUnmapped);
        var flush = events.FindIndex(e => e is IotlbFlushed);
        var firstFree = events.FindIndex(e => e is PageFreed);
        Assert.True(flush >= 0 && flush < unmapped && unmapped < firstFree, string.Join(", ", events.Select(e => e.GetType().Name)));
        Assert.True(((IovaUnmapped)events[unmapped]).Synced);
        Assert.Equal(1, ((IotlbFlushed)events[flush]).DeviceTlbs);
        Assert.Equal(Pages, events.Count(e => e is PageFreed));
        Assert.IsType<InvalidationEnded>(events[^1]);

        foreach (var device in new[] { "gpu0", "gpu1" })
        {
            var after = m.DmaRead(device, iova, Pages);
            Assert.Equal((Errno.EFAULT, 0), (after.Errno, after.Pages));
        }
        var domain = m.IommuStats();
        Assert.Equal((0UL, 0L, 0UL), (domain.MappedBytes, domain.Leaves, domain.IovaAllocated));
        m.AssertDmaSafe();
    }

    [Fact]
    public void Two_devices_in_one_iommu_domain_share_one_mapping_and_release_it_when_both_leave()
    {
        using var m = new IommuMachine(this, devices: [("gpu0", 0), ("gpu1", 0)]);
        m.Mmap(Pages, new VirtAddr(Buffer));
        for (var i = 0; i < Pages; i++) m.CpuWrite(Buffer + (ulong)i * Page, Value(i));

        Assert.Equal(Errno.None, m.MirrorRead("gpu0", Buffer, Pages).Errno);
        Assert.Equal(Errno.None, m.MirrorRead("gpu1", Buffer, Pages).Errno);
        var iova = m.IovaOf("gpu0", Buffer)!.Value;
        Assert.Equal(iova, m.IovaOf("gpu1", Buffer));
        Assert.True(iova.IsAligned(PageSize.Size2M));

        // One HMM domain, one directory mapped once: the second mirror's fault was an update.
        Assert.Equal(1, m.MmStats().HmmDomains);
        var shared = m.IommuStats();
        Assert.Equal(((ulong)Pages * Page, (long)Pages, 2UL << 20, 1L), (shared.MappedBytes, shared.Leaves, shared.IovaAllocated, shared.Maps));
        Assert.Equal(1, m.MirrorStats("gpu0").DirectoryMaps);
        Assert.Equal(1, m.MirrorStats("gpu1").DirectoryMaps);
        Assert.Equal(Enumerable.Range(0, Pages).Select(Value), m.DmaRead("gpu0", iova, Pages).Values);
        Assert.Equal(Enumerable.Range(0, Pages).Select(Value), m.DmaRead("gpu1", iova, Pages).Values);

        // The first leaves: the mapping stays for the other.
        Assert.Equal(Errno.None, m.Call<Done>(m.Mm, new Messages.Hmm.UnregisterMirror(m.Mirrors["gpu0"])).Errno);
        Assert.Equal(Errno.None, m.DmaRead("gpu1", iova, Pages).Errno);
        Assert.Equal((ulong)Pages * Page, m.IommuStats().MappedBytes);

        // The last leaves: the HMM domain unmaps everything and goes.
        Assert.Equal(Errno.None, m.Call<Done>(m.Mm, new Messages.Hmm.UnregisterMirror(m.Mirrors["gpu1"])).Errno);
        AwaitAssert(() =>
        {
            var mm = m.MmStats();
            Assert.Equal((0, 0), (mm.Mirrors, mm.HmmDomains));
            var domain = m.IommuStats();
            Assert.Equal((0UL, 0L, 0UL), (domain.MappedBytes, domain.Leaves, domain.IovaAllocated));
        });
        Assert.Equal(Errno.EFAULT, m.DmaRead("gpu1", iova, Pages).Errno);
        // The pages are the process's again: one reference each, the mm's.
        for (var i = 0; i < Pages; i++) Assert.Equal(Value(i), m.CpuRead(Buffer + (ulong)i * Page));
        Assert.Equal(Errno.None, m.Munmap(Buffer, Pages));
        Assert.Equal(0, m.MmStats().ResidentPages);
        m.AssertDmaSafe();
    }
}

public sealed class EndToEndThreadPoolTests(ITestOutputHelper output) : EndToEndTests(output, deterministic: false);

public sealed class EndToEndDeterministicTests(ITestOutputHelper output) : EndToEndTests(output, deterministic: true);

/// <summary>Records the trace events of the given types, in publication order.</summary>
internal sealed class EventLog : IDisposable
{
    private readonly List<object> _events = [];
    private readonly List<IDisposable> _subscriptions = [];

    public EventLog(Runtime.ActorSystem system, params Type[] types)
    {
        foreach (var type in types)
            _subscriptions.Add(system.EventStream.Subscribe(type, e =>
            {
                lock (_events) _events.Add(e);
            }));
    }

    public List<object> Events
    {
        get
        {
            lock (_events) return [.. _events];
        }
    }

    public void Dispose()
    {
        foreach (var s in _subscriptions) s.Dispose();
    }
}
