using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// Domains in an IOAS (iopt_table_add_domain, iopt_table_remove_domain): every area mapped into a
/// new domain, the aperture reserved, the IOVA alignment, a failed fill undone, detach.
/// </summary>
public abstract class IoasDomainTests(ITestOutputHelper output, bool deterministic) : IoasKit(output, deterministic)
{
    [Fact]
    public void A_newly_attached_domain_gets_every_area_and_huge_iotpes_where_the_frames_allow()
    {
        var unit = Unit();
        var device = Device(unit, "gpu0");
        var guest = Guest(4 * M2, align: M2);
        var ioas = Ioas(guest);
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 2 * M2, IovaBase).Errno);
        Assert.Equal(Errno.None, MapIoas(ioas, 2 * M2, 2 * K4, IovaBase + 4 * M2).Errno);
        Assert.Equal(1UL, Info(ioas).IovaAlignment);

        var domain = DirtyDomain(unit);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        using var log = new TraceLog(Sys, typeof(IoasDomainAttached));
        Assert.Equal(Errno.None, AttachToIoas(ioas, domain));
        var stats = DomainStats(domain);
        // Two 2 MiB leaves for the contiguous, aligned area, two 4 KiB ones for the other.
        Assert.Equal((2 * M2 + 2 * K4, 4L), (stats.MappedBytes, stats.Leaves));
        Assert.Equal(K4, Info(ioas).IovaAlignment);
        Assert.Equal([new IoasDomainAttached(ioas, domain)], log.Events);

        Assert.Equal(Errno.None, Write(device, IovaBase + M2 + 5 * K4, 0x77).Errno);
        Assert.Equal(0x77UL, guest.Read(512 + 5));
        Assert.Equal([0x6000_0000UL + 1024, 0x6000_0000UL + 1025], Read(device, IovaBase + 4 * M2, 2).Values);
    }

    [Fact]
    public void Attaching_twice_is_EEXIST_and_a_domain_without_a_page_table_is_EINVAL()
    {
        var unit = Unit();
        var ioas = Ioas(Guest(4 * K4));
        var domain = DirtyDomain(unit);
        Assert.Equal(Errno.None, AttachToIoas(ioas, domain));
        Assert.Equal(Errno.EEXIST, AttachToIoas(ioas, domain));
        Assert.Equal(Errno.EINVAL, AttachToIoas(ioas, Domain(unit, IommuDomainType.Blocked)));
        Assert.Equal(Errno.EINVAL, AttachToIoas(ioas, Domain(unit, IommuDomainType.Identity)));
        Assert.Equal([domain], Info(ioas).Domains);
    }

    [Fact]
    public void The_space_beyond_a_domains_aperture_is_reserved_and_an_area_there_blocks_the_attach()
    {
        var unit = Unit();
        var ioas = Ioas(Guest(4 * K4));
        Assert.Equal(Errno.None, MapIoas(ioas, 0, K4, 1UL << 40).Errno);
        var narrow = Domain(unit, new IommuDomainOptions { AddressBits = 39 });
        Assert.Equal(Errno.EADDRINUSE, AttachToIoas(ioas, narrow));
        Assert.Empty(Info(ioas).Domains);
        Assert.Empty(Info(ioas).Reserved);
        Assert.Equal(0UL, DomainStats(narrow).MappedBytes);

        Assert.Equal(Errno.None, UnmapIoas(ioas, 1UL << 40, K4).Errno);
        Assert.Equal(Errno.None, AttachToIoas(ioas, narrow));
        Assert.Equal([new IovaRange(1UL << 39, ulong.MaxValue)], Info(ioas).Reserved);
        Assert.Equal(Errno.EINVAL, MapIoas(ioas, 0, K4, 1UL << 40).Errno);
        Assert.True(MapIoas(ioas, 0, K4).Iova.Value < 1UL << 39);
    }

    [Fact]
    public void A_domain_whose_alignment_an_area_breaks_is_EADDRINUSE_and_one_above_page_size_is_EINVAL()
    {
        var unit = Unit();
        var ioas = Ioas(Guest(4 * K4));
        // Without a domain the IOAS maps at byte granularity (iova_alignment 1).
        Assert.Equal(Errno.None, MapIoas(ioas, 0x800, 0x400, IovaBase + 0x800).Errno);
        var domain = DirtyDomain(unit);
        Assert.Equal(Errno.EADDRINUSE, AttachToIoas(ioas, domain));
        Assert.Equal(0UL, DomainStats(domain).MappedBytes);
        Assert.Empty(Info(ioas).Reserved);

        var big = Sys.ActorOf(Props.Create(() => new BigPageDomain()));
        Assert.Equal(Errno.None, UnmapIoas(ioas, IovaBase + 0x800, 0x400).Errno);
        Assert.Equal(Errno.EINVAL, AttachToIoas(ioas, big));
        Assert.Equal(Errno.None, AttachToIoas(ioas, domain));
        Assert.Equal(Errno.EINVAL, MapIoas(ioas, 0, 0x800, IovaBase).Errno);
    }

    [Fact]
    public void A_map_that_one_domain_refuses_is_undone_in_every_domain_and_unpinned()
    {
        var unit = Unit();
        var guest = Guest(8 * K4);
        var ioas = Ioas(guest);
        var first = DirtyDomain(unit);
        var second = DirtyDomain(unit);
        Assert.Equal(Errno.None, AttachToIoas(ioas, first));
        Assert.Equal(Errno.None, AttachToIoas(ioas, second));
        // Something else already maps the last page of the range in the second domain.
        Assert.Equal(Errno.None, Map(second, IovaBase + 3 * K4, Pages(1)[0], K4));

        Assert.Equal(Errno.EEXIST, MapIoas(ioas, 0, 4 * K4, IovaBase).Errno);
        Assert.Equal(0UL, DomainStats(first).MappedBytes);
        Assert.Equal(K4, DomainStats(second).MappedBytes);
        Assert.Empty(Info(ioas).Areas);
        Assert.All(guest.Pages.ToArray(), p => Assert.Equal(0, Memory.PagePinCount(p)));
    }

    [Fact]
    public void Detach_unmaps_every_area_from_the_domain_drops_its_reservation_and_is_ENOENT_twice()
    {
        var m = Machine(bytes: 8 * K4);
        Assert.Equal(Errno.None, Call<Done>(m.Ioas, new IoasDetachDomain(m.Domain)).Errno);
        Assert.Equal(0UL, DomainStats(m.Domain).MappedBytes);
        Assert.Equal(Errno.EFAULT, Write(m.Device, IovaBase, 1).Errno);
        var info = Info(m.Ioas);
        Assert.Empty(info.Domains);
        Assert.Empty(info.Reserved);
        Assert.Equal(1UL, info.IovaAlignment);
        Assert.Equal(8L, info.PinnedPages);
        Assert.Equal(Errno.ENOENT, Call<Done>(m.Ioas, new IoasDetachDomain(m.Domain)).Errno);
    }

    /// <summary>A paging domain whose smallest page is 64 KiB, above the CPU page size (iopt_table_add_domain refuses it).</summary>
    private sealed class BigPageDomain : ReceiveActor
    {
        public BigPageDomain() => Receive<GetIommuDomainInfo>(_ => Sender.Tell(new IommuDomainInfo(Errno.None, IommuDomainType.Unmanaged,
            new IommuDomainGeometry(IoPageTableFormats.X86_64, 1UL << 16, 48, false), false, false), Self));
    }
}

public sealed class IoasDomainThreadPoolTests(ITestOutputHelper output) : IoasDomainTests(output, deterministic: false);

public sealed class IoasDomainDeterministicTests(ITestOutputHelper output) : IoasDomainTests(output, deterministic: true);
