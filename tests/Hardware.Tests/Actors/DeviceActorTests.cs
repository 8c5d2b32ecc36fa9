using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>Devices: the ATC path (ATS translation, ATS invalidation before the sync completes), device memory, trace events.</summary>
public abstract class DeviceActorTests(ITestOutputHelper output, bool deterministic) : HardwareKit(output, deterministic)
{
    private const ulong Base = 0x7000_0000;

    [Fact]
    public void An_atc_device_translates_misses_through_ats_and_hits_its_own_tlb_afterwards()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("ats0") { AtcEntries = 16 });
        Attach(unit, "ats0", stub);
        var pages = AllocPages(8, seed: 100);
        MapPages(stub, Base, pages);

        Assert.Equal(Enumerable.Range(100, 8).Select(i => (ulong)i), Read(device, Base, 8).Values);
        Assert.Equal(Errno.None, Write(device, Base, 1, 2, 3, 4, 5, 6, 7, 8).Errno);
        Assert.Equal([1UL, 2, 3, 4, 5, 6, 7, 8], pages.Select(p => Memory.ReadPage(p, out var v) == Errno.None ? v : 0).ToArray());
        var stats = Call<DeviceStats>(device, new GetDeviceStats());
        Assert.Equal((1L, 8L, 2L, 8L, 8L), (stats.AtsRequests, stats.AtcHits, stats.Bursts, stats.PagesRead, stats.PagesWritten));
        // The unit translated for the ATC but never touched memory itself.
        Assert.Equal(0L, UnitStats(unit).DmaPages);
    }

    [Fact]
    public void The_unit_sync_completes_only_after_the_device_tlb_dropped_the_range()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("ats0") { AtcEntries = 16 });
        Attach(unit, "ats0", stub);
        MapPages(stub, Base, AllocPages(2));
        Assert.Equal(Errno.None, Read(device, Base, 2).Errno);
        Assert.True(Call<DeviceTlbProbeResult>(device, new DeviceTlbProbe(new Iova(Base))).Hit);

        Assert.Equal(new IommuUnmapped(Errno.None, K4), Call<IommuUnmapped>(stub, new IommuUnmap(new Iova(Base), K4)));
        Assert.True(Invalidate(unit, stub, true, IotlbInvalidation.Range(new Iova(Base), K4, K4)).Synced);

        Assert.False(Call<DeviceTlbProbeResult>(device, new DeviceTlbProbe(new Iova(Base))).Hit);
        Assert.True(Call<DeviceTlbProbeResult>(device, new DeviceTlbProbe(new Iova(Base + K4))).Hit);
        var read = Read(device, Base, 2);
        Assert.Equal((Errno.EFAULT, 0), (read.Errno, read.Pages));
        Assert.Equal(1L, Call<DeviceStats>(device, new GetDeviceStats()).AtcInvalidations);
    }

    [Fact]
    public void Without_the_device_tlb_invalidation_the_atc_keeps_translating_an_unmapped_iova()
    {
        var unit = CreateUnit(UnitConfig("iommu0") with { DropDeviceTlbInvalidation = true });
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("ats0") { AtcEntries = 16 });
        Attach(unit, "ats0", stub);
        var page = AllocPages(1, seed: 5)[0];
        MapPages(stub, Base, [page]);
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);

        Call<IommuUnmapped>(stub, new IommuUnmap(new Iova(Base), K4));
        Assert.True(Invalidate(unit, stub, true, IotlbInvalidation.Range(new Iova(Base), K4, K4)).Synced);
        // The bug: the stale ATC entry still reaches the page after the sync.
        var stale = Read(device, Base, 1);
        Assert.Equal((Errno.None, 5UL), (stale.Errno, stale.Values[0]));
    }

    [Fact]
    public void Every_page_access_is_a_trace_event_with_the_frame_and_its_generation()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("gpu0"));
        Attach(unit, "gpu0", stub);
        var pages = AllocPages(2);
        MapPages(stub, Base, pages);
        var events = new List<DeviceDma>();
        using var subscription = Sys.EventStream.Subscribe(typeof(DeviceDma), e => { lock (events) events.Add((DeviceDma)e); });

        Assert.Equal(Errno.None, Write(device, Base, 1, 2).Errno);
        Assert.Equal(Errno.None, Read(device, Base + K4, 1).Errno);
        lock (events)
        {
            Assert.Equal(
                [(new Iova(Base), pages[0], true), (new Iova(Base + K4), pages[1], true), (new Iova(Base + K4), pages[1], false)],
                events.Select(e => (e.Iova, e.Pfn, e.Write)).ToArray());
            Assert.All(events, e => Assert.Equal(("gpu0", stub, Memory.PageGeneration(e.Pfn), true, false),
                (e.Device, e.Domain!, e.Generation, e.PageLive, e.ViaDeviceTlb)));
        }
    }

    [Fact]
    public void A_dma_to_a_freed_frame_is_refused_with_EIO_and_counted_as_a_use_after_free()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("gpu0"));
        Attach(unit, "gpu0", stub);
        var page = AllocPages(1)[0];
        MapPages(stub, Base, [page]);
        Assert.Equal(Errno.None, Memory.PutPage(page));

        var result = Write(device, Base, 1);
        Assert.Equal((Errno.EIO, 0), (result.Errno, result.Pages));
        Assert.Equal(1L, Memory.Counters.UseAfterFree);
    }

    [Fact]
    public void A_gpu_like_device_owns_private_memory_it_reads_and_writes_without_the_iommu()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var device = CreateDevice(unit, new DeviceOptions("gpu0") { PrivateMemoryBytes = 64 * K4 });
        var stats = Call<DeviceStats>(device, new GetDeviceStats());
        Assert.Equal(64UL, stats.PrivateFrames);
        var pool = Assert.Single(Memory.DevicePools);
        Assert.Equal(("gpu0", pool.BasePfn), (pool.Owner, stats.PrivateBasePfn!.Value));
        Assert.Equal(Errno.None, pool.AllocPage(out var frame));
        Assert.True(Memory.IsDevicePrivate(frame));

        Assert.Equal(Errno.None, Call<DmaCompleted>(device, new LocalWrite(frame, [0xBEEF])).Errno);
        Assert.Equal(Errno.None, Memory.ReadPage(frame, out var value));
        Assert.Equal(0xBEEFUL, value);
        Assert.Equal([0xBEEFUL], Call<DmaCompleted>(device, new LocalRead(frame, 1)).Values);
        Assert.Equal(Errno.EFAULT, Call<DmaCompleted>(device, new LocalRead(new Pfn(0x100), 1)).Errno);
    }

    [Fact]
    public void Two_devices_of_one_name_cannot_be_probed()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        CreateDevice(unit, new DeviceOptions("dev0"));
        var twin = CreateTestProbe();
        Assert.Equal(new Done(Errno.EEXIST), Call<Done>(unit.Ref, new ProbeDevice("dev0", twin.Ref, Ats: false)));
    }

    [Fact]
    public void Bursts_are_pipelined_and_answered_in_order()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("gpu0") { MaxBurstsInFlight = 2 });
        Attach(unit, "gpu0", stub);
        var pages = AllocPages(6, seed: 0);
        MapPages(stub, Base, pages);
        for (var i = 0; i < 6; i++) Send(device, new DmaRead(new Iova(Base + (ulong)i * K4), 1));
        for (var i = 0; i < 6; i++) Assert.Equal([(ulong)i], ExpectMsg<DmaCompleted>().Values);
    }
}

public sealed class DeviceActorThreadPoolTests(ITestOutputHelper output) : DeviceActorTests(output, deterministic: false);

public sealed class DeviceActorDeterministicTests(ITestOutputHelper output) : DeviceActorTests(output, deterministic: true);
