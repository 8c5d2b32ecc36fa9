using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommu;

/// <summary>iommu_map / iommu_unmap end to end: data through a device, sizes, and the safety invariant of unmap.</summary>
public abstract class IommuDomainActorTests(ITestOutputHelper output, bool deterministic) : IommuKit(output, deterministic)
{
    private const ulong Base = 0x10_0000_0000;

    private (IommuUnitHandle Unit, IActorRef Domain, IActorRef Device) Machine(int atcEntries = 0, IommuDomainOptions? options = null,
        Func<IommuUnitConfig, IommuUnitConfig>? unit = null)
    {
        var u = Unit(edit: unit);
        var device = Device(u, "gpu0", atcEntries);
        var domain = Domain(u, options);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", u));
        return (u, domain, device);
    }

    [Fact]
    public void A_device_writes_by_iova_and_physical_memory_holds_the_values()
    {
        var (_, domain, device) = Machine();
        var pages = Pages(3, seed: 0);
        for (var i = 0; i < 3; i++) Assert.Equal(Errno.None, Map(domain, Base + (ulong)i * K4, pages[i], K4));

        Assert.Equal(Errno.None, Write(device, Base, 0xA, 0xB, 0xC).Errno);
        Assert.Equal([0xAUL, 0xB, 0xC], pages.Select(ValueOf));
        Memory.WritePage(pages[1], 0x99);
        Assert.Equal([0xAUL, 0x99, 0xC], Read(device, Base, 3).Values);
    }

    [Theory]
    [InlineData(K4)]
    [InlineData(M2)]
    [InlineData(G1)]
    public void Maps_and_unmaps_at_each_page_size_and_unmap_answers_the_size_unmapped(ulong size)
    {
        var (unit, domain, device) = Machine();
        var first = ContiguousPages(size / K4, size);
        var iova = 4 * G1;
        Assert.Equal(Errno.None, Map(domain, iova, first, size));
        var stats = DomainStats(domain);
        Assert.Equal((size, 1L), (stats.MappedBytes, stats.Leaves));

        // The device reaches the last page of the leaf.
        var last = iova + size - K4;
        Assert.Equal(Errno.None, Write(device, last, 0x5EED).Errno);
        Assert.Equal(0x5EEDUL, ValueOf(first + (size / K4 - 1)));
        Assert.Equal(1L, UnitStats(unit).Walks);

        // Unmapping 4 KiB inside a huge leaf removes the whole leaf and says so.
        Assert.Equal(new IommuUnmapped(Errno.None, size), Unmap(domain, last, K4));
        Assert.Equal(0UL, DomainStats(domain).MappedBytes);
        Assert.Equal(Errno.EFAULT, Read(device, iova, 1).Errno);
        Assert.Equal(new IommuUnmapped(Errno.None, 0), Unmap(domain, iova, size));
    }

    [Fact]
    public void Map_errors_change_nothing()
    {
        var (_, domain, _) = Machine();
        var page = Pages(1)[0];
        Assert.Equal(Errno.EINVAL, Map(domain, Base + 1, page, K4));
        Assert.Equal(Errno.EINVAL, Map(domain, Base, page, K4, IommuProt.None));
        Assert.Equal(Errno.ERANGE, Map(domain, 1UL << 48, page, K4));
        Assert.Equal(Errno.None, Map(domain, Base, page, K4));
        Assert.Equal(Errno.EEXIST, Map(domain, Base, page, K4));
        Assert.Equal((K4, 1L), (DomainStats(domain).MappedBytes, DomainStats(domain).Leaves));
        Assert.Equal(new IommuUnmapped(Errno.EINVAL, 0), Unmap(domain, Base + 1, K4));
    }

    [Fact]
    public void Unmap_is_answered_only_after_the_iotlb_and_the_device_tlb_stopped_translating()
    {
        var unit = Unit();
        var plain = Device(unit, "gpu0");
        var ats = Device(unit, "gpu1", atcEntries: 8);
        var domain = Domain(unit);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        Assert.Equal(Errno.None, Attach(domain, "gpu1", unit));
        var pages = Pages(2);
        Assert.Equal(Errno.None, Map(domain, Base, pages[0], K4));
        Assert.Equal(Errno.None, Map(domain, Base + K4, pages[1], K4));
        Assert.Equal(Errno.None, Read(plain, Base, 2).Errno);
        Assert.Equal(Errno.None, Read(ats, Base, 2).Errno);
        Assert.True(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base))).InIotlb);
        Assert.True(Call<DeviceTlbProbeResult>(ats, new DeviceTlbProbe(new Iova(Base))).Hit);

        using var trace = new TraceLog(Sys, typeof(IotlbFlushed), typeof(IovaUnmapped));
        Assert.Equal(new IommuUnmapped(Errno.None, K4), Unmap(domain, Base, K4));

        // The unit's flush (device TLB acknowledged) completed before the domain answered.
        var events = trace.Events;
        Assert.Equal([typeof(IotlbFlushed), typeof(IovaUnmapped)], events.Select(e => e.GetType()));
        var flushed = (IotlbFlushed)events[0];
        Assert.Equal((1, IotlbInvalidationKind.Range, new Iova(Base), K4), (flushed.DeviceTlbs, flushed.Commands[0].Kind, flushed.Commands[0].Start, flushed.Commands[0].Length));

        // Probes right after the answer: nothing translates the IOVA any more, the other page still does.
        var probe = Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base)));
        Assert.False(probe.InIotlb || probe.InMicroTlb);
        Assert.False(Call<DeviceTlbProbeResult>(ats, new DeviceTlbProbe(new Iova(Base))).Hit);
        Assert.True(Call<DeviceTlbProbeResult>(ats, new DeviceTlbProbe(new Iova(Base + K4))).Hit);
        Assert.Equal(Errno.EFAULT, Read(plain, Base, 1).Errno);
        Assert.Equal(Errno.EFAULT, Read(ats, Base, 1).Errno);
        Assert.Equal(Errno.None, Read(ats, Base + K4, 1).Errno);
    }

    [Fact]
    public void Skipping_the_sync_after_unmap_leaves_a_stale_translation_the_safety_check_catches()
    {
        var (unit, domain, device) = Machine(options: new IommuDomainOptions { SkipIotlbSyncAfterUnmap = true });
        var page = Pages(1, seed: 31)[0];
        Assert.Equal(Errno.None, Map(domain, Base, page, K4));
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);

        using var trace = new TraceLog(Sys, typeof(IovaUnmapped), typeof(IovaMapped), typeof(DeviceDma));
        Assert.Equal(K4, Unmap(domain, Base, K4).Size);
        var stale = Read(device, Base, 1);
        Assert.Equal((Errno.None, 31UL), (stale.Errno, stale.Values[0]));
        var violation = Assert.Single(SafetyViolations(trace.Events));
        Assert.Contains("after its unmap was answered", violation, StringComparison.Ordinal);
        Assert.True(Call<UnitProbeResult>(unit.Ref, new UnitProbe("gpu0", new Iova(Base))).InIotlb);
    }

    [Fact]
    public void The_correct_unmap_passes_the_safety_check()
    {
        var (_, domain, device) = Machine();
        var pages = Pages(4);
        using var trace = new TraceLog(Sys, typeof(IovaUnmapped), typeof(IovaMapped), typeof(DeviceDma));
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 4; i++) Assert.Equal(Errno.None, Map(domain, Base + (ulong)i * K4, pages[i], K4));
            Assert.Equal(Errno.None, Read(device, Base, 4).Errno);
            Assert.Equal(2 * K4, Unmap(domain, Base, 2 * K4).Size);
            Assert.Equal(Errno.EFAULT, Read(device, Base, 4).Errno);
            Assert.Equal(2 * K4, Unmap(domain, Base + 2 * K4, 2 * K4).Size);
        }
        Assert.Empty(SafetyViolations(trace.Events));
        Assert.Equal(12, trace.Events.OfType<DeviceDma>().Count());
    }

    [Fact]
    public void An_unmap_of_an_unattached_domain_needs_no_flush()
    {
        var unit = Unit();
        var domain = Domain(unit);
        Assert.Equal(Errno.None, Map(domain, Base, Pages(1)[0], K4));
        Assert.Equal(K4, Unmap(domain, Base, K4).Size);
        Assert.Equal((0L, 0L), (DomainStats(domain).IotlbSyncs, UnitStats(unit).Syncs));
    }

    [Fact]
    public void Unmap_gathers_contiguous_leaves_into_one_range_command_and_one_sync()
    {
        var (unit, domain, _) = Machine();
        var pages = Pages(8);
        for (var i = 0; i < 8; i++) Assert.Equal(Errno.None, Map(domain, Base + (ulong)i * K4, pages[i], K4));
        var before = UnitStats(unit);
        Assert.Equal(8 * K4, Unmap(domain, Base, 8 * K4).Size);
        var after = UnitStats(unit);
        Assert.Equal((1L, 1L), (after.InvalidationCommands - before.InvalidationCommands, after.Syncs - before.Syncs));
        Assert.Equal((1L, 1L), (DomainStats(domain).IotlbCommands, DomainStats(domain).IotlbSyncs));
    }
}

public sealed class IommuDomainActorThreadPoolTests(ITestOutputHelper output) : IommuDomainActorTests(output, deterministic: false);

public sealed class IommuDomainActorDeterministicTests(ITestOutputHelper output) : IommuDomainActorTests(output, deterministic: true);
