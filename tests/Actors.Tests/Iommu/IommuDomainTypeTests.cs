using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommu;

/// <summary>Domain types, "can attach", domain ids, and the DMA API with strict and lazy (flush queue) unmaps.</summary>
public abstract class IommuDomainTypeTests(ITestOutputHelper output, bool deterministic) : IommuKit(output, deterministic)
{
    private const ulong Base = 0x20_0000_0000;

    [Fact]
    public void A_blocked_domain_faults_every_access_and_maps_nothing()
    {
        var unit = Unit();
        var device = Device(unit, "nic0");
        var blocked = Domain(unit, IommuDomainType.Blocked);
        Assert.Equal(Errno.None, Attach(blocked, "nic0", unit));
        var page = Pages(1)[0];
        Assert.Equal(Errno.EINVAL, Map(blocked, Base, page, K4));
        Assert.Equal(new IommuUnmapped(Errno.EINVAL, 0), Unmap(blocked, Base, K4));
        var read = Read(device, page.ToPhys().Value, 4);
        Assert.Equal((Errno.EFAULT, 0), (read.Errno, read.Pages));
        Assert.Equal(Errno.EFAULT, Write(device, Base, 1).Errno);
        Assert.Equal(2, Call<UnitFaults>(unit.Ref, new ReadUnitFaults()).Faults.Count);
        Assert.Null(DomainStats(blocked).DomainId);
    }

    [Fact]
    public void An_identity_domain_maps_every_iova_to_the_same_physical_address()
    {
        var unit = Unit();
        var device = Device(unit, "nic0");
        var identity = Domain(unit, IommuDomainType.Identity);
        Assert.Equal(Errno.None, Attach(identity, "nic0", unit));
        var pages = Pages(2, seed: 0);
        Assert.Equal(Errno.EINVAL, Map(identity, Base, pages[0], K4));

        Assert.Equal(Errno.None, Write(device, pages[0].ToPhys().Value, 0x1D).Errno);
        Assert.Equal(0x1DUL, ValueOf(pages[0]));
        Assert.Equal([0x1DUL, 1], Read(device, pages[0].ToPhys().Value, 2).Values);
        var stats = UnitStats(unit);
        Assert.Equal((3L, 0L, 0L), (stats.BypassPages, stats.Walks, stats.IotlbMisses));
    }

    [Fact]
    public void A_device_of_another_unit_cannot_attach()
    {
        var unit0 = Unit("iommu0");
        var unit1 = Unit("iommu1");
        Device(unit0, "gpu0");
        var other = Device(unit1, "gpu1");
        var domain = Domain(unit0);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit0));
        Assert.Equal(Errno.EINVAL, Attach(domain, "gpu1", unit1));
        Assert.Equal(Errno.EFAULT, Read(other, Base, 1).Errno);
        // The caller makes a domain for that unit instead.
        var second = Domain(unit1);
        Assert.Equal(Errno.None, Attach(second, "gpu1", unit1));
        Assert.Equal((1, 1), (DomainStats(domain).Devices, DomainStats(second).Devices));
    }

    [Fact]
    public void A_unit_whose_configuration_does_not_fit_the_domain_refuses_it()
    {
        var unit = Unit(edit: c => new IommuUnitConfig(c.Name, c.Capabilities with { DirtyTracking = false, InputAddressBits = 39, Sva = false, PageSizes = PageSizeBitmap.Size4K | PageSizeBitmap.Size2M }));
        Device(unit, "gpu0");
        Assert.Equal(Errno.EINVAL, Attach(Domain(unit, new IommuDomainOptions { AddressBits = 48 }), "gpu0", unit));
        Assert.Equal(Errno.EINVAL, Attach(Domain(unit, new IommuDomainOptions { DirtyTracking = true }), "gpu0", unit));
        Assert.Equal(Errno.EINVAL, Attach(Domain(unit, new IommuDomainOptions { Format = IoPageTableFormats.Arm64LpaeS1 }), "gpu0", unit));
        Assert.Equal(Errno.EINVAL, Attach(Domain(unit, new IommuDomainOptions { PageSizes = PageSizeBitmap.Radix4K }), "gpu0", unit));
        var fits = Domain(unit, new IommuDomainOptions { PageSizes = PageSizeBitmap.Size4K });
        Assert.Equal(Errno.None, Attach(fits, "gpu0", unit));
        Assert.Equal(Errno.None, Attach(fits, "gpu0", unit));
        Assert.Equal(Errno.EBUSY, Attach(Domain(unit), "gpu0", unit));
        Assert.Equal(Errno.ENODEV, Attach(fits, "nobody", unit));
    }

    [Fact]
    public void The_domain_id_lives_while_a_device_is_attached()
    {
        var unit = Unit();
        var device = Device(unit, "gpu0");
        Device(unit, "gpu1");
        var domain = Domain(unit);
        Assert.Null(DomainStats(domain).DomainId);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        Assert.Equal(Errno.None, Attach(domain, "gpu1", unit));
        Assert.Equal((1u, 2), (DomainStats(domain).DomainId!.Value, DomainStats(domain).Devices));
        Assert.Equal(Errno.None, Map(domain, Base, Pages(1)[0], K4));
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);

        Assert.Equal(Errno.None, Call<Done>(domain, new DetachDevice("gpu1")).Errno);
        Assert.Equal(1u, DomainStats(domain).DomainId);
        Assert.Equal(Errno.None, Call<Done>(domain, new DetachDevice("gpu0")).Errno);
        Assert.Equal(Errno.EINVAL, Call<Done>(domain, new DetachDevice("gpu0")).Errno);
        Assert.Null(DomainStats(domain).DomainId);
        var stats = UnitStats(unit);
        Assert.Equal((0, 0), (stats.DomainIds, stats.IotlbValidEntries));
        Assert.Equal(Errno.EFAULT, Read(device, Base, 1).Errno);
    }

    [Fact]
    public void A_strict_dma_domain_flushes_every_unmap_before_answering()
    {
        var unit = Unit();
        var device = Device(unit, "gpu0");
        var domain = Domain(unit, IommuDomainType.Dma);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        var page = Pages(1, seed: 3)[0];
        var mapped = Call<DmaMapped>(domain, new DmaMap(page.ToPhys(), K4, IommuProt.Read));
        Assert.Equal(Errno.None, mapped.Errno);
        Assert.Equal([3UL], Read(device, mapped.Iova.Value, 1).Values);
        Assert.Equal(Errno.EPERM, Write(device, mapped.Iova.Value, 1).Errno);

        Assert.Equal(new IommuUnmapped(Errno.None, K4), Call<IommuUnmapped>(domain, new DmaUnmap(mapped.Iova, K4)));
        Assert.Equal(Errno.EFAULT, Read(device, mapped.Iova.Value, 1).Errno);
        var stats = DomainStats(domain);
        Assert.Equal((1L, 0UL, 0L), (stats.IotlbSyncs, stats.IovaAllocated, stats.FlushQueueQueued));
        Assert.Equal(new IommuUnmapped(Errno.EINVAL, 0), Call<IommuUnmapped>(domain, new DmaUnmap(mapped.Iova, K4)));
        // The freed IOVA is handed out again.
        Assert.Equal(mapped.Iova, Call<DmaMapped>(domain, new DmaMap(page.ToPhys(), K4, IommuProt.Read)).Iova);
        // The DMA API belongs to DMA domains.
        Assert.Equal(Errno.EINVAL, Call<DmaMapped>(Domain(unit), new DmaMap(page.ToPhys(), K4, IommuProt.Read)).Errno);
    }

    [Fact]
    public void A_flush_queue_batches_lazy_unmaps_into_one_flush_at_its_threshold()
    {
        var unit = Unit();
        var device = Device(unit, "gpu0");
        var domain = Domain(unit, new IommuDomainOptions { Type = IommuDomainType.DmaFlushQueue, FlushQueueSize = 5, FlushQueueTimeout = TimeSpan.FromHours(1) });
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        var pages = Pages(4);
        var iovas = pages.Select(p => Call<DmaMapped>(domain, new DmaMap(p.ToPhys(), K4, IommuProt.Read | IommuProt.Write)).Iova).ToArray();
        foreach (var iova in iovas) Assert.Equal(Errno.None, Read(device, iova.Value, 1).Errno);
        var syncsBefore = UnitStats(unit).Syncs;

        for (var i = 0; i < 3; i++)
            Assert.Equal(new IommuUnmapped(Errno.None, K4), Call<IommuUnmapped>(domain, new DmaUnmap(iovas[i], K4)));
        var queued = DomainStats(domain);
        Assert.Equal((3L, 0L, 3, 4 * K4), (queued.FlushQueueQueued, queued.FlushQueueFlushes, queued.FlushQueuePending, queued.IovaAllocated));
        Assert.Equal(syncsBefore, UnitStats(unit).Syncs);
        // Lazy: the stale IOTLB entry still translates until the flush (deferred flushing's window).
        Assert.True(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", iovas[0])).InIotlb);
        // An IOVA waiting in the queue is not handed out again.
        var fresh = Call<DmaMapped>(domain, new DmaMap(pages[0].ToPhys(), K4, IommuProt.Read)).Iova;
        Assert.DoesNotContain(fresh, iovas);
        Assert.Equal(K4, Call<IommuUnmapped>(domain, new DmaUnmap(fresh, K4)).Size);
        Assert.Equal(4, DomainStats(domain).FlushQueuePending);

        // The fifth queued unmap fills the queue: one domain-wide flush and sync for all five.
        Assert.Equal(K4, Call<IommuUnmapped>(domain, new DmaUnmap(iovas[3], K4)).Size);
        AwaitAssert(() =>
        {
            var flushed = DomainStats(domain);
            Assert.Equal((5L, 1L, 0, 0UL), (flushed.FlushQueueQueued, flushed.FlushQueueFlushes, flushed.FlushQueuePending, flushed.IovaAllocated));
        });
        Assert.Equal(syncsBefore + 1, UnitStats(unit).Syncs);
        Assert.False(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", iovas[0])).InIotlb);
    }

    [Fact]
    public void A_flush_queue_flushes_on_its_timeout_and_on_flush_all()
    {
        var unit = Unit();
        Device(unit, "gpu0");
        var domain = Domain(unit, new IommuDomainOptions { Type = IommuDomainType.DmaFlushQueue, FlushQueueTimeout = TimeSpan.FromMilliseconds(20) });
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        var page = Pages(1)[0];
        var iova = Call<DmaMapped>(domain, new DmaMap(page.ToPhys(), K4, IommuProt.Read)).Iova;
        Assert.Equal(K4, Call<IommuUnmapped>(domain, new DmaUnmap(iova, K4)).Size);
        Assert.Equal(1, DomainStats(domain).FlushQueuePending);
        AwaitAssert(() => Assert.Equal((1L, 0), (DomainStats(domain).FlushQueueFlushes, DomainStats(domain).FlushQueuePending)),
            TimeSpan.FromSeconds(5));

        iova = Call<DmaMapped>(domain, new DmaMap(page.ToPhys(), K4, IommuProt.Read)).Iova;
        Assert.Equal(K4, Call<IommuUnmapped>(domain, new DmaUnmap(iova, K4)).Size);
        Assert.Equal(Done.Ok, Call<Done>(domain, new IommuFlushIotlbAll()));
        var stats = DomainStats(domain);
        Assert.Equal((2L, 0, 0UL), (stats.FlushQueueFlushes, stats.FlushQueuePending, stats.IovaAllocated));
    }

    [Fact]
    public void A_domain_larger_than_any_io_pgtable_is_refused_at_creation()
    {
        var unit = Unit();
        Assert.Throws<ArgumentException>(() => IommuDomainActor.Props(unit, new IommuDomainOptions { PageSizes = PageSizeBitmap.Size2M }));
        Assert.Throws<ArgumentException>(() => IommuDomainActor.Props(unit, new IommuDomainOptions { AddressBits = 64 }));
    }
}

public sealed class IommuDomainTypeThreadPoolTests(ITestOutputHelper output) : IommuDomainTypeTests(output, deterministic: false);

public sealed class IommuDomainTypeDeterministicTests(ITestOutputHelper output) : IommuDomainTypeTests(output, deterministic: true);
