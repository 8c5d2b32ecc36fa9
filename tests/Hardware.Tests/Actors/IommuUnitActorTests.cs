using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>The unit's translation path, faults, invalidation and sync, and attach checks, with a stub domain.</summary>
public abstract class IommuUnitActorTests(ITestOutputHelper output, bool deterministic) : HardwareKit(output, deterministic)
{
    private const ulong Base = 0x4000_0000;

    private (IommuUnitHandle Unit, IActorRef Stub, IActorRef Device) Machine(int atcEntries = 0, IommuUnitConfig? config = null)
    {
        var unit = CreateUnit(config ?? UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("gpu0") { AtcEntries = atcEntries });
        Attach(unit, "gpu0", stub);
        return (unit, stub, device);
    }

    [Fact]
    public void A_device_write_lands_in_physical_memory_and_reads_back_through_the_iotlb()
    {
        var (unit, stub, device) = Machine();
        var pages = AllocPages(4);
        MapPages(stub, Base, pages);

        var written = Write(device, Base, 11, 22, 33, 44);
        Assert.Equal((Errno.None, 4), (written.Errno, written.Pages));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(Errno.None, Memory.ReadPage(pages[i], out var value));
            Assert.Equal(11UL * (ulong)(i + 1), value);
        }
        // One miss: the walker walked all four pages (four levels each) for it.
        var first = UnitStats(unit);
        Assert.Equal((1L, 0L, 4L, 16L), (first.IotlbMisses, first.IotlbHits, first.Walks, first.WalkLevels));

        var read = Read(device, Base, 4);
        Assert.Equal((Errno.None, 4), (read.Errno, read.Pages));
        Assert.Equal([11UL, 22, 33, 44], read.Values);
        // The IOTLB answered every page and filled the device's micro-TLB, which answers the third burst.
        var second = UnitStats(unit);
        Assert.Equal((4L, 0L, 4L), (second.IotlbHits, second.MicroTlbHits, second.Walks));
        Assert.Equal([11UL, 22, 33, 44], Read(device, Base, 4).Values);
        var third = UnitStats(unit);
        Assert.Equal((4L, 4L, 12L), (third.IotlbHits, third.MicroTlbHits, third.DmaPages));
    }

    [Fact]
    public void A_burst_stops_at_the_first_unmapped_page_with_EFAULT_and_says_how_far_it_got()
    {
        var (unit, stub, device) = Machine();
        var pages = AllocPages(3, seed: 0);
        MapPages(stub, Base, pages);

        var result = Write(device, Base, 7, 8, 9, 10, 11);
        Assert.Equal((Errno.EFAULT, 3), (result.Errno, result.Pages));
        Assert.Equal(new Iova(Base + 3 * K4), result.StoppedAt);
        Assert.Equal([7UL, 8, 9], pages.Select(p => Memory.ReadPage(p, out var v) == Errno.None ? v : 0).ToArray());

        var faults = Call<UnitFaults>(unit.Ref, new ReadUnitFaults());
        var fault = Assert.Single(faults.Faults);
        Assert.Equal(("gpu0", new Iova(Base + 3 * K4), true, Errno.EFAULT), (fault.Device, fault.Iova, fault.Write, fault.Reason));
        Assert.Equal(1L, UnitStats(unit).Faults);
        Assert.Empty(Call<UnitFaults>(unit.Ref, new ReadUnitFaults()).Faults);
    }

    [Fact]
    public void A_write_to_a_read_only_page_is_EPERM_and_the_pages_before_it_are_written()
    {
        var (_, stub, device) = Machine();
        var pages = AllocPages(3, seed: 0);
        MapPages(stub, Base, pages[..1]);
        MapPages(stub, Base + K4, pages[1..], IommuProt.Read);

        var write = Write(device, Base, 5, 6, 7);
        Assert.Equal((Errno.EPERM, 1), (write.Errno, write.Pages));
        Memory.ReadPage(pages[0], out var v0);
        Memory.ReadPage(pages[1], out var v1);
        Assert.Equal((5UL, 1UL), (v0, v1));
        // Reading the read-only pages is allowed, also on an IOTLB hit after the failed write's walk.
        var read = Read(device, Base, 3);
        Assert.Equal(Errno.None, read.Errno);
        Assert.Equal([5UL, 1, 2], read.Values);
        var denied = Write(device, Base + K4, 9);
        Assert.Equal((Errno.EPERM, 0), (denied.Errno, denied.Pages));
    }

    [Fact]
    public void A_device_without_a_domain_is_blocked_and_an_identity_domain_passes_addresses_through()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var device = CreateDevice(unit, new DeviceOptions("nic0"));
        var blocked = Read(device, Base, 1);
        Assert.Equal((Errno.EFAULT, 0), (blocked.Errno, blocked.Pages));

        var identity = CreateStubDomain(unit, "identity");
        Assert.Equal(0u, Attach(unit, "nic0", identity, IommuDomainType.Identity));
        var page = AllocPages(1, seed: 77)[0];
        var read = Read(device, page.ToPhys().Value, 1);
        Assert.Equal((Errno.None, 77UL), (read.Errno, read.Values[0]));
        Assert.Equal(1L, UnitStats(unit).BypassPages);
    }

    [Fact]
    public void A_sync_answers_only_after_every_device_tlb_behind_the_unit_acknowledged()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var atc = CreateTestProbe("atc-device");
        Assert.Equal(Done.Ok, Call<Done>(unit.Ref, new ProbeDevice("ats0", atc.Ref, Ats: true)));
        Attach(unit, "ats0", stub);

        Send(unit.Ref, new IotlbInvalidate(stub, [IotlbInvalidation.Range(new Iova(Base), 2 * K4, K4)], Sync: true, Cookie: 42));
        var request = atc.ExpectMsg<AtcInvalidate>();
        Assert.Equal((IotlbInvalidationKind.Range, new Iova(Base), 2 * K4), (request.Command.Kind, request.Command.Start, request.Command.Length));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        atc.Reply(new AtcInvalidated("ats0", request.Sequence));
        Assert.Equal(new IotlbInvalidated(Errno.None, 42, true), ExpectMsg<IotlbInvalidated>());
        Assert.Equal(1L, UnitStats(unit).AtcInvalidations);
    }

    [Fact]
    public void Syncs_complete_in_the_order_they_were_issued()
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var stub = CreateStubDomain(unit);
        var atc = CreateTestProbe("atc-device");
        Call<Done>(unit.Ref, new ProbeDevice("ats0", atc.Ref, Ats: true));
        Attach(unit, "ats0", stub);

        Send(unit.Ref, new IotlbInvalidate(stub, [IotlbInvalidation.ForDomain], Sync: true, Cookie: 1));
        var first = atc.ExpectMsg<AtcInvalidate>();
        // A sync with nothing for the ATC still waits for the one before it.
        Send(unit.Ref, new IotlbInvalidate(stub, [], Sync: true, Cookie: 2));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        atc.Reply(new AtcInvalidated("ats0", first.Sequence));
        Assert.Equal(1L, ExpectMsg<IotlbInvalidated>().Cookie);
        Assert.Equal(2L, ExpectMsg<IotlbInvalidated>().Cookie);
    }

    [Fact]
    public void The_injected_bug_drops_the_device_tlb_invalidation()
    {
        var unit = CreateUnit(UnitConfig("iommu0") with { DropDeviceTlbInvalidation = true });
        var stub = CreateStubDomain(unit);
        var atc = CreateTestProbe("atc-device");
        Call<Done>(unit.Ref, new ProbeDevice("ats0", atc.Ref, Ats: true));
        Attach(unit, "ats0", stub);

        Assert.True(Invalidate(unit, stub, true, IotlbInvalidation.ForDomain).Synced);
        atc.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0L, UnitStats(unit).AtcInvalidations);
    }

    [Fact]
    public void Queued_commands_take_effect_only_at_the_sync()
    {
        var (unit, stub, device) = Machine();
        MapPages(stub, Base, AllocPages(2));
        Assert.Equal(Errno.None, Read(device, Base, 2).Errno);
        Assert.Equal(Errno.None, Read(device, Base, 2).Errno);
        var probe = Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base)));
        Assert.True(probe.InIotlb && probe.InMicroTlb);

        var queued = Invalidate(unit, stub, false, IotlbInvalidation.Range(new Iova(Base), K4, K4));
        Assert.False(queued.Synced);
        Assert.True(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base))).InIotlb);

        Assert.True(Invalidate(unit, stub, true).Synced);
        var after = Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base)));
        Assert.False(after.InIotlb || after.InMicroTlb);
        // The range command dropped only its page.
        Assert.True(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base + K4))).InIotlb);
    }

    [Fact]
    public void A_full_invalidation_queue_forces_a_sync()
    {
        var config = UnitConfig("iommu0", c => c with { InvalidationQueueDepth = 4 });
        var (unit, stub, _) = Machine(config: config);
        var before = UnitStats(unit).Syncs;
        var commands = Enumerable.Range(0, 9).Select(i => IotlbInvalidation.Range(new Iova(Base + (ulong)i * K4), K4, K4)).ToArray();
        Assert.False(Invalidate(unit, stub, false, commands).Synced);
        var stats = UnitStats(unit);
        Assert.Equal(9L, stats.InvalidationCommands);
        Assert.Equal(before + 2, stats.Syncs);
    }

    [Fact]
    public void Can_attach_checks_the_device_and_the_domain_configuration()
    {
        var unit = CreateUnit(UnitConfig("iommu0", c => c with { DirtyTracking = false, PageSizes = PageSizeBitmap.Size4K | PageSizeBitmap.Size2M }));
        var stub = CreateStubDomain(unit);
        CreateDevice(unit, new DeviceOptions("dev0"));
        var caps = unit.Capabilities;
        IommuDomainGeometry Geometry(string? format = null, ulong? sizes = null, int? bits = null, bool dirty = false) =>
            new(format ?? caps.PageTableFormat, sizes ?? caps.PageSizes, bits ?? caps.InputAddressBits, dirty);
        Errno AttachWith(string device, IommuDomainGeometry g, IommuDomainType type = IommuDomainType.Unmanaged) =>
            Call<UnitDeviceAttached>(unit.Ref, new UnitAttachDevice(device, stub, type, g)).Errno;

        Assert.Equal(Errno.ENODEV, AttachWith("nobody", Geometry()));
        Assert.Equal(Errno.EINVAL, AttachWith("dev0", Geometry(format: IoPageTableFormats.Arm64LpaeS1)));
        Assert.Equal(Errno.EINVAL, AttachWith("dev0", Geometry(sizes: PageSizeBitmap.Radix4K)));
        Assert.Equal(Errno.EINVAL, AttachWith("dev0", Geometry(bits: 57)));
        Assert.Equal(Errno.EINVAL, AttachWith("dev0", Geometry(dirty: true)));
        Assert.Equal(Errno.EINVAL, AttachWith("dev0", Geometry(), IommuDomainType.Sva));
        Assert.Equal(0, UnitStats(unit).DomainIds);

        Assert.Equal(Errno.None, AttachWith("dev0", Geometry(bits: 39, sizes: PageSizeBitmap.Size4K)));
        Assert.Equal(Errno.None, AttachWith("dev0", Geometry()));
        var other = CreateStubDomain(unit, "other");
        Assert.Equal(Errno.EBUSY, Call<UnitDeviceAttached>(unit.Ref, new UnitAttachDevice("dev0", other, IommuDomainType.Unmanaged, Geometry())).Errno);
        Assert.Equal(1, UnitStats(unit).DomainIds);
    }

    [Fact]
    public void The_last_detach_flushes_the_domain_and_frees_its_id()
    {
        var (unit, stub, device) = Machine();
        CreateDevice(unit, new DeviceOptions("gpu1"));
        Assert.Equal(1u, Attach(unit, "gpu1", stub));
        MapPages(stub, Base, AllocPages(1));
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);

        Assert.Equal(new UnitDeviceDetached(Errno.None, false), Call<UnitDeviceDetached>(unit.Ref, new UnitDetachDevice("gpu1", stub)));
        Assert.Equal(1, UnitStats(unit).IotlbValidEntries);
        Assert.Equal(new UnitDeviceDetached(Errno.None, true), Call<UnitDeviceDetached>(unit.Ref, new UnitDetachDevice("gpu0", stub)));
        var stats = UnitStats(unit);
        Assert.Equal((0, 0), (stats.DomainIds, stats.IotlbValidEntries));
        Assert.Equal(Errno.EFAULT, Read(device, Base, 1).Errno);
        Assert.Equal(Errno.EINVAL, Call<UnitDeviceDetached>(unit.Ref, new UnitDetachDevice("gpu0", stub)).Errno);
    }

    [Fact]
    public void A_malformed_burst_is_EINVAL()
    {
        var (_, _, device) = Machine();
        Assert.Equal(Errno.EINVAL, Read(device, Base + 1, 1).Errno);
        Assert.Equal(Errno.EINVAL, Read(device, Base, 0).Errno);
        Assert.Equal(Errno.EINVAL, Read(device, ulong.MaxValue & ~(K4 - 1), 2).Errno);
        Assert.Equal(Errno.EINVAL, Read(device, Base, IommuUnitActor.MaxBurstPages + 1).Errno);
    }
}

public sealed class IommuUnitActorThreadPoolTests(ITestOutputHelper output) : IommuUnitActorTests(output, deterministic: false);

public sealed class IommuUnitActorDeterministicTests(ITestOutputHelper output) : IommuUnitActorTests(output, deterministic: true);
