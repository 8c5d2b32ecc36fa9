using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// Dirty tracking through the IOAS (iopt_set_dirty_tracking, iopt_read_and_clear_dirty_data):
/// device writes become bitmap bits exactly once, huge IOPTEs dirty all their sub-pages, NO_CLEAR,
/// one IOTLB sync per read, and every errno with a check that the failed call changed nothing.
/// </summary>
public abstract class IoasDirtyTests(ITestOutputHelper output, bool deterministic) : IoasKit(output, deterministic)
{
    private IoasMachine Tracking(ulong bytes = 64 * K4, ulong align = K4, ulong? pageSizes = null)
    {
        var m = Machine(bytes, align, pageSizes);
        Assert.Equal(Errno.None, SetTracking(m.Ioas, m.Domain, true));
        return m;
    }

    [Fact]
    public void Device_writes_while_tracking_are_reported_once_and_only_they()
    {
        var m = Machine();
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 9 * K4, 1).Errno); // before tracking: not reported
        Assert.Equal(Errno.None, SetTracking(m.Ioas, m.Domain, true));
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 3 * K4, 0xA, 0xB).Errno);
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 63 * K4, 0xC).Errno);
        Assert.Equal(Errno.None, Read(m.Device, IovaBase + 20 * K4, 4).Errno);     // reads dirty nothing

        var first = ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4);
        Assert.Equal([3L, 4, 63], Bits(first));
        Assert.Equal((1L, 3L, 1), (first.Chunks, first.DirtyLeaves, first.Domains));
        Assert.Equal((0xAUL, 0xBUL, 0xCUL), (m.Guest.Read(3), m.Guest.Read(4), m.Guest.Read(63)));
        Assert.Empty(Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));

        // After the read the device writes the same page again: the IOTLB flush made it walk, so it is reported again.
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 3 * K4, 0xD).Errno);
        Assert.Equal([3L], Bits(ReadDirty(m.Ioas, null, IovaBase, 64 * K4)));
    }

    [Fact]
    public void A_write_through_a_translation_a_read_cached_is_still_reported()
    {
        var m = Tracking();
        Assert.Equal(Errno.None, Read(m.Device, IovaBase + 5 * K4, 1).Errno);
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 5 * K4, 0x55).Errno);
        Assert.Equal([5L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));
    }

    [Fact]
    public void Enabling_tracking_clears_every_dirty_bit_and_syncs_the_iotlb_once()
    {
        var m = Tracking();
        Assert.Equal(Errno.None, Write(m.Device, IovaBase, 1, 2, 3).Errno);
        var syncs = UnitStats(m.Unit).Syncs;
        var domainSyncs = DirtyStats(m.Domain).Syncs;

        Assert.Equal(Errno.None, SetTracking(m.Ioas, m.Domain, true));
        Assert.Equal(syncs + 1, UnitStats(m.Unit).Syncs);
        Assert.Equal(domainSyncs + 1, DirtyStats(m.Domain).Syncs);
        Assert.Empty(Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));
        // The flush dropped the dirty translations too: the next write walks and is reported.
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + K4, 9).Errno);
        Assert.Equal([1L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));

        Assert.Equal(Errno.None, SetTracking(m.Ioas, m.Domain, false));
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4).Errno);
    }

    [Fact]
    public void A_huge_iopte_dirties_all_its_sub_pages_at_a_smaller_bitmap_page_size()
    {
        var m = Tracking(bytes: 2 * M2, align: M2);
        Assert.Equal(2L, DomainStats(m.Domain).Leaves);
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + M2 + 7 * K4, 0x77).Errno);

        var at4K = ReadDirty(m.Ioas, m.Domain, IovaBase, 2 * M2, K4, DirtyBitmapFlags.NoClear);
        Assert.Equal(Enumerable.Range(512, 512).Select(i => (long)i), Bits(at4K));
        Assert.Equal(1L, at4K.DirtyLeaves);
        var at2M = ReadDirty(m.Ioas, m.Domain, IovaBase, 2 * M2, M2);
        Assert.Equal([1L], Bits(at2M));
        Assert.Empty(Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 2 * M2, K4)));
    }

    [Fact]
    public void No_clear_reads_without_clearing_and_without_an_iotlb_sync()
    {
        var m = Tracking();
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 10 * K4, 1).Errno);
        var syncs = UnitStats(m.Unit).Syncs;
        for (var i = 0; i < 2; i++)
            Assert.Equal([10L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4, flags: DirtyBitmapFlags.NoClear)));
        Assert.Equal(syncs, UnitStats(m.Unit).Syncs);
        Assert.Equal([10L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));
        Assert.Equal(syncs + 1, UnitStats(m.Unit).Syncs);
        Assert.Empty(Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));
    }

    [Fact]
    public void A_read_syncs_the_iotlb_once_whatever_it_clears_and_bits_are_ored_into_the_callers_buffer()
    {
        var m = Tracking();
        Assert.Equal(Errno.None, Write(m.Device, IovaBase, [.. Enumerable.Range(0, 40).Select(i => (ulong)i)]).Errno);
        using var log = new TraceLog(Sys, typeof(IotlbFlushed));
        var before = UnitStats(m.Unit).Syncs;
        var buffer = new ulong[] { 1UL << 50 };
        var read = ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4, data: buffer);
        Assert.Same(buffer, read.Data);
        Assert.Equal([.. Enumerable.Range(0, 40).Select(i => (long)i), 50L], Bits(read));
        Assert.Equal(before + 1, UnitStats(m.Unit).Syncs);
        var flush = Assert.IsType<IotlbFlushed>(Assert.Single(log.Events));
        Assert.Equal([IotlbInvalidation.Range(new Iova(IovaBase), 40 * K4, K4)], flush.Commands);
    }

    [Fact]
    public void Two_contiguous_areas_read_as_one_range_and_no_domain_given_reads_every_domain()
    {
        var unit = Unit();
        var other = Unit("iommu1");
        var gpu0 = Device(unit, "gpu0");
        var gpu1 = Device(other, "gpu1");
        var d0 = DirtyDomain(unit);
        var d1 = DirtyDomain(other);
        Assert.Equal(Errno.None, Attach(d0, "gpu0", unit));
        Assert.Equal(Errno.None, Attach(d1, "gpu1", other));
        var ioas = Ioas(Guest(16 * K4));
        Assert.Equal(Errno.None, AttachToIoas(ioas, d0));
        Assert.Equal(Errno.None, AttachToIoas(ioas, d1));
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 8 * K4, IovaBase).Errno);
        Assert.Equal(Errno.None, MapIoas(ioas, 8 * K4, 8 * K4, IovaBase + 8 * K4).Errno);
        Assert.Equal(Errno.None, SetTracking(ioas, d0, true));
        Assert.Equal(Errno.None, SetTracking(ioas, d1, true));
        Assert.Equal(Errno.None, Write(gpu0, IovaBase + 2 * K4, 1).Errno);
        Assert.Equal(Errno.None, Write(gpu1, IovaBase + 12 * K4, 2).Errno);

        var one = ReadDirty(ioas, d0, IovaBase, 16 * K4, flags: DirtyBitmapFlags.NoClear);
        Assert.Equal([2L], Bits(one));
        var both = ReadDirty(ioas, null, IovaBase, 16 * K4);
        Assert.Equal([2L, 12], Bits(both));
        Assert.Equal((2, 2L), (both.Domains, both.DirtyLeaves));
    }

    [Fact]
    public void Bad_reads_get_the_kernels_errno_and_clear_nothing()
    {
        var m = Tracking();
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 7 * K4, 1).Errno);
        var len = 64 * K4;
        Assert.Equal(Errno.EOPNOTSUPP, Call<IoasDirtyBitmap>(m.Ioas, new IoasGetDirtyBitmap(m.Domain, new Iova(IovaBase), len, K4, (DirtyBitmapFlags)2)).Errno);
        Assert.Equal(Errno.ENOENT, ReadDirty(m.Ioas, DirtyDomain(m.Unit), IovaBase, len).Errno);
        Assert.Equal(Errno.EOVERFLOW, ReadDirty(m.Ioas, m.Domain, ulong.MaxValue - K4 + 1, 2 * K4).Errno);
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase, 0).Errno);
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase + 0x800, len).Errno);          // IOVA alignment
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase, len, pageSize: 0).Errno);      // zero page size
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase, len, pageSize: 3 * K4).Errno); // not a power of two
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, m.Domain, IovaBase, 12 * K4, pageSize: 8 * K4).Errno); // range not aligned to it
        Assert.Equal(Errno.ENOENT, ReadDirty(m.Ioas, m.Domain, IovaBase, 8 * K4).Errno);                // cuts into the area
        Assert.Equal(Errno.ENOENT, ReadDirty(m.Ioas, m.Domain, IovaBase + K4, len - K4).Errno);
        Assert.Equal(Errno.ENOENT, ReadDirty(m.Ioas, m.Domain, IovaBase, len + K4).Errno);               // runs past it
        Assert.Equal(Errno.ENOENT, ReadDirty(m.Ioas, m.Domain, IovaBase + len, K4).Errno);               // no area at all
        Assert.Equal(Errno.EFAULT, ReadDirty(m.Ioas, m.Domain, IovaBase, len, data: []).Errno);          // buffer too short
        // Nothing was cleared by any of them.
        Assert.Equal([7L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, len)));
    }

    [Fact]
    public void A_read_of_every_domain_refuses_before_clearing_any_when_one_is_not_tracking()
    {
        var m = Tracking();
        var second = DirtyDomain(m.Unit);
        Assert.Equal(Errno.None, AttachToIoas(m.Ioas, second));
        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 4 * K4, 1).Errno);
        Assert.Equal(Errno.EINVAL, ReadDirty(m.Ioas, null, IovaBase, 64 * K4).Errno);
        Assert.Equal([4L], Bits(ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4)));
        // With no domain attached at all, the seed's loop never runs: EOPNOTSUPP.
        var empty = Ioas(m.Guest);
        Assert.Equal(Errno.None, MapIoas(empty, 0, K4, IovaBase).Errno);
        Assert.Equal(Errno.EOPNOTSUPP, ReadDirty(empty, null, IovaBase, K4).Errno);
    }

    [Fact]
    public void Tracking_needs_dirty_ops_on_the_domain_and_dirty_capable_hardware_for_its_devices()
    {
        // A domain allocated without dirty tracking has no dirty_ops.
        var m = Machine(options: new IommuDomainOptions());
        Assert.Equal(Errno.EOPNOTSUPP, SetTracking(m.Ioas, m.Domain, true));
        Assert.Equal(Errno.EOPNOTSUPP, ReadDirty(m.Ioas, m.Domain, IovaBase, 64 * K4).Errno);
        Assert.Equal(Errno.ENOENT, SetTracking(m.Ioas, DirtyDomain(m.Unit), true));

        // Hardware without dirty tracking: a device behind it cannot attach to a tracking domain...
        var plain = Unit("plain", c => new IommuUnitConfig(c.Name, c.Capabilities with { DirtyTracking = false }));
        Device(plain, "nic0");
        var domain = DirtyDomain(plain);
        Assert.Equal(Errno.EINVAL, Attach(domain, "nic0", plain));
        // ...and such a domain cannot track.
        var ioas = Ioas(m.Guest);
        Assert.Equal(Errno.None, AttachToIoas(ioas, domain));
        Assert.Equal(Errno.EOPNOTSUPP, SetTracking(ioas, domain, true));
        Assert.False(Call<IommuDomainInfo>(domain, new GetIommuDomainInfo()).DirtyTrackingSupported);
    }
}

public sealed class IoasDirtyThreadPoolTests(ITestOutputHelper output) : IoasDirtyTests(output, deterministic: false);

public sealed class IoasDirtyDeterministicTests(ITestOutputHelper output) : IoasDirtyTests(output, deterministic: true);
