using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// IOAS areas (iopt_map_user_pages, iopt_unmap_iova): data through a device, pins, the errnos of
/// the selftest's "area" and "unmap_fully_contained_areas" cases, each failure changing nothing.
/// </summary>
public abstract class IoasAreaTests(ITestOutputHelper output, bool deterministic) : IoasKit(output, deterministic)
{
    [Fact]
    public void A_mapped_area_pins_its_pages_and_a_device_writes_guest_memory_through_it()
    {
        var m = Machine(bytes: 8 * K4);
        var info = Info(m.Ioas);
        Assert.Equal([new IoasAreaInfo(IovaRange.FromLength(IovaBase, 8 * K4), User(0), ReadWrite, 8)], info.Areas);
        Assert.Equal(8L, info.PinnedPages);
        Assert.All(m.Guest.Pages.ToArray(), p => Assert.Equal(1, Memory.PagePinCount(p)));

        Assert.Equal(Errno.None, Write(m.Device, IovaBase + 2 * K4, 0xAA, 0xBB).Errno);
        Assert.Equal((0xAAUL, 0xBBUL), (m.Guest.Read(2), m.Guest.Read(3)));
        Assert.Equal([0x6000_0000UL, 0x6000_0001], Read(m.Device, IovaBase, 2).Values);
    }

    [Fact]
    public void Unmap_removes_the_area_from_the_domain_before_unpinning_and_the_device_faults_after()
    {
        var m = Machine(bytes: 4 * K4);
        using var log = new TraceLog(Sys, typeof(IovaUnmapped), typeof(IoasAreaUnmapped));
        Assert.Equal(Errno.None, Write(m.Device, IovaBase, 1).Errno);

        Assert.Equal(new IoasUnmapped(Errno.None, 4 * K4), UnmapIoas(m.Ioas, IovaBase, 4 * K4));
        Assert.Equal(Errno.EFAULT, Write(m.Device, IovaBase, 2).Errno);
        Assert.Equal(0L, Info(m.Ioas).PinnedPages);
        Assert.All(m.Guest.Pages.ToArray(), p => Assert.Equal(0, Memory.PagePinCount(p)));
        // The domain answered its unmap (after its IOTLB sync) before the IOAS unpinned.
        Assert.Collection(log.Events,
            e => Assert.Equal(new IovaUnmapped(m.Domain, AddressRange.FromLength(IovaBase, 4 * K4), true), e),
            e => Assert.IsType<IoasAreaUnmapped>(e));
        // Unpinning a writable area marks its pages dirty (unpin_user_page_range_dirty_lock).
        Assert.All(m.Guest.Pages.ToArray(), p => Assert.True(Memory.PageDirty(p)));
    }

    [Fact]
    public void Over_map_fails_with_EEXIST_and_changes_nothing()
    {
        var guest = Guest(16 * K4);
        var ioas = Ioas(guest);
        var base_ = IovaBase + 16 * K4;
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 2 * K4, base_).Errno);
        var before = Info(ioas);
        // The selftest's "Over map fails" cases.
        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, 2 * K4, base_).Errno);
        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, K4, base_).Errno);
        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, K4, base_ + K4).Errno);
        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, 2 * K4, base_ - K4).Errno);
        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, 3 * K4, base_ - K4).Errno);
        AssertSame(before, Info(ioas));
        Assert.Equal(1, Memory.PagePinCount(guest.PageAt(0)));
    }

    [Fact]
    public void Unmap_of_part_of_an_area_or_of_nothing_is_ENOENT_and_changes_nothing()
    {
        var guest = Guest(16 * K4);
        var ioas = Ioas(guest);
        // Nothing mapped.
        for (var i = 0UL; i < 4; i++) Assert.Equal(new IoasUnmapped(Errno.ENOENT, 0), UnmapIoas(ioas, i * K4, K4));
        var base_ = IovaBase + 4 * K4;
        for (var i = 0UL; i < 4; i++) Assert.Equal(Errno.None, MapIoas(ioas, 0, 8 * K4, base_ + i * 16 * K4).Errno);
        var before = Info(ioas);

        // A range that cuts into an area: the split fails...
        Assert.Equal(new IoasUnmapped(Errno.ENOENT, 0), UnmapIoas(ioas, base_, K4));
        Assert.Equal(new IoasUnmapped(Errno.ENOENT, 0), UnmapIoas(ioas, base_ + K4, K4));
        Assert.Equal(new IoasUnmapped(Errno.ENOENT, 0), UnmapIoas(ioas, base_ - 4 * K4, 8 * K4));
        // ...even when it also covers whole areas: the model unmaps none of them (today's kernel unmaps the first three).
        Assert.Equal(new IoasUnmapped(Errno.ENOENT, 0), UnmapIoas(ioas, base_ - 4 * K4, 3 * 16 * K4 + 4 * K4 + 4 * K4));
        AssertSame(before, Info(ioas));

        // Fully contained areas go, with a hole before and after.
        Assert.Equal(new IoasUnmapped(Errno.None, 24 * K4), UnmapIoas(ioas, base_ - 4 * K4, 4 * K4 + 2 * 16 * K4 + 8 * K4 + 4 * K4));
        Assert.Equal([IovaRange.FromLength(base_ + 3 * 16 * K4, 8 * K4)], Info(ioas).Areas.Select(a => a.Iova));
        Assert.Equal(8L, Info(ioas).PinnedPages);
    }

    [Fact]
    public void Unmap_all_removes_every_area_and_succeeds_on_an_empty_ioas()
    {
        var guest = Guest(16 * K4);
        var ioas = Ioas(guest);
        for (var i = 0UL; i < 10; i++) Assert.Equal(Errno.None, MapIoas(ioas, 0, K4, IovaBase + i * K4).Errno);
        Assert.Equal(10, Memory.PagePinCount(guest.PageAt(0)));
        Assert.Equal(new IoasUnmapped(Errno.None, 10 * K4), Call<IoasUnmapped>(ioas, IoasUnmap.All));
        Assert.Equal(new IoasUnmapped(Errno.None, 0), Call<IoasUnmapped>(ioas, IoasUnmap.All));
        Assert.Empty(Info(ioas).Areas);
        Assert.Equal(0, Memory.PagePinCount(guest.PageAt(0)));
    }

    [Fact]
    public void Bad_maps_get_the_kernels_errno_and_change_nothing()
    {
        var m = Machine(bytes: 8 * K4);
        var before = Info(m.Ioas);
        var map = (ulong user, ulong length, ulong? iova) => Call<IoasMapped>(m.Ioas, new IoasMap(User(user), length, ReadWrite, iova is { } v ? new Iova(v) : null)).Errno;

        Assert.Equal(Errno.EINVAL, map(0, 0, 0x9000_0000));                       // zero length
        Assert.Equal(Errno.EOVERFLOW, Call<IoasMapped>(m.Ioas, new IoasMap(new VirtAddr(ulong.MaxValue - K4 + 1), 2 * K4, ReadWrite, new Iova(0x9000_0000))).Errno);
        Assert.Equal(Errno.EINVAL, map(0, K4 + 512, 0x9000_0000));                // length not aligned to the domain's 4 KiB
        Assert.Equal(Errno.EINVAL, map(0, K4, 0x9000_0800));                      // IOVA not aligned
        Assert.Equal(Errno.EOVERFLOW, map(0, 2 * K4, ulong.MaxValue - K4 + 1));   // IOVA range wraps
        Assert.Equal(Errno.EINVAL, map(0, K4, 1UL << 50));                        // beyond the domain's aperture: reserved
        Assert.Equal(Errno.EEXIST, map(0, K4, IovaBase + 7 * K4));
        Assert.Equal(Errno.EFAULT, map(8 * K4, K4, 0x9000_0000));                 // no user memory there
        Assert.Equal(Errno.EINVAL, map(512, K4, null));                           // allocation alignment below the IOAS's
        AssertSame(before, Info(m.Ioas));
        Assert.All(m.Guest.Pages.ToArray(), p => Assert.Equal(1, Memory.PagePinCount(p)));
        Assert.Equal(8 * K4, DomainStats(m.Domain).MappedBytes);
    }

    [Fact]
    public void The_ioas_chooses_aligned_iovas_that_are_never_zero()
    {
        var guest = Guest(16 * K4);
        var ioas = Ioas(guest);
        var iovas = new List<ulong>();
        for (var i = 1UL; i <= 10; i++)
        {
            var mapped = MapIoas(ioas, 0, i * K4);
            Assert.Equal(Errno.None, mapped.Errno);
            Assert.NotEqual(0UL, mapped.Iova.Value);
            // The selftest's area_auto_iova: aligned to the length's lowest set bit.
            Assert.Equal(0UL, mapped.Iova.Value % (1UL << System.Numerics.BitOperations.TrailingZeroCount(i * K4)));
            iovas.Add(mapped.Iova.Value);
        }
        var areas = Info(ioas).Areas;
        Assert.Equal(10, areas.Count);
        for (var i = 1; i < areas.Count; i++) Assert.True(areas[i - 1].Iova.Last < areas[i].Iova.Start);
    }

    protected static void AssertSame(IoasInfo expected, IoasInfo actual)
    {
        Assert.Equal(expected.Areas, actual.Areas);
        Assert.Equal(expected.Domains, actual.Domains);
        Assert.Equal(expected.Allowed, actual.Allowed);
        Assert.Equal(expected.Reserved, actual.Reserved);
        Assert.Equal((expected.IovaAlignment, expected.PinnedPages), (actual.IovaAlignment, actual.PinnedPages));
    }
}

public sealed class IoasAreaThreadPoolTests(ITestOutputHelper output) : IoasAreaTests(output, deterministic: false);

public sealed class IoasAreaDeterministicTests(ITestOutputHelper output) : IoasAreaTests(output, deterministic: true);
