using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// Allowed and reserved IOVA ranges (iopt_set_allow_iova, iopt_reserve_iova) and the allocator
/// that honours them: the selftest's area_allowed and area_auto_iova cases.
/// </summary>
public abstract class IoasRangeTests(ITestOutputHelper output, bool deterministic) : IoasKit(output, deterministic)
{
    private Errno Allow(IActorRef ioas, params IovaRange[] ranges) => Call<Done>(ioas, new IoasAllowIovas(ranges)).Errno;

    private Errno Reserve(IActorRef ioas, string owner, IovaRange range) => Call<Done>(ioas, new IoasReserveIova(owner, range)).Errno;

    private IActorRef NewIoas() => Ioas(Guest(16 * K4));

    [Fact]
    public void An_allowed_range_that_intersects_a_reserved_one_is_EADDRINUSE_and_so_is_the_reverse()
    {
        var ioas = NewIoas();
        var allowed = IovaRange.FromLength(IovaBase, 600 * K4);
        var reserved = IovaRange.FromLength(IovaBase + K4, K4);

        Assert.Equal(Errno.None, Allow(ioas, allowed));
        Assert.Equal(Errno.EADDRINUSE, Reserve(ioas, "msi", reserved));
        Assert.Empty(Info(ioas).Reserved);
        Assert.Equal(Errno.None, Allow(ioas));

        Assert.Equal(Errno.None, Reserve(ioas, "msi", reserved));
        Assert.Equal(Errno.EADDRINUSE, Allow(ioas, allowed));
        var info = Info(ioas);
        Assert.Empty(info.Allowed);
        Assert.Equal([reserved], info.Reserved);
        Assert.Equal([new IovaRange(0, reserved.Start - 1), new IovaRange(reserved.Last + 1, ulong.MaxValue)], info.Usable);
    }

    [Fact]
    public void A_reservation_over_an_area_is_EADDRINUSE_and_a_fixed_map_over_a_reservation_is_EINVAL()
    {
        var ioas = NewIoas();
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 2 * K4, IovaBase).Errno);
        Assert.Equal(Errno.EADDRINUSE, Reserve(ioas, "msi", IovaRange.FromLength(IovaBase + K4, K4)));
        Assert.Equal(Errno.None, Reserve(ioas, "msi", IovaRange.FromLength(IovaBase + 4 * K4, 4 * K4)));
        // iopt_check_iova: a reserved range in the way of a fixed IOVA is EINVAL, not EEXIST.
        Assert.Equal(Errno.EINVAL, MapIoas(ioas, 0, 2 * K4, IovaBase + 6 * K4).Errno);
        Assert.Equal(Errno.None, Call<Done>(ioas, new IoasRemoveReservedIova("msi")).Errno);
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 2 * K4, IovaBase + 6 * K4).Errno);
    }

    [Fact]
    public void Malformed_allowed_ranges_are_EINVAL_and_change_nothing()
    {
        var ioas = NewIoas();
        var good = IovaRange.FromLength(IovaBase, 16 * K4);
        Assert.Equal(Errno.None, Allow(ioas, good));
        Assert.Equal(Errno.EINVAL, Allow(ioas, new IovaRange(IovaBase + K4, IovaBase)));
        Assert.Equal(Errno.EINVAL, Allow(ioas, IovaRange.FromLength(0, 8 * K4), IovaRange.FromLength(4 * K4, 8 * K4)));
        Assert.Equal(Errno.EINVAL, Reserve(ioas, "x", new IovaRange(2 * K4, K4)));
        Assert.Equal([good], Info(ioas).Allowed);
    }

    [Fact]
    public void The_allocator_avoids_reserved_ranges_and_stays_inside_allowed_ones()
    {
        var ioas = NewIoas();
        var reserved = IovaRange.FromLength(4 * K4, 100 * K4);
        Assert.Equal(Errno.None, Reserve(ioas, "msi", reserved));
        for (var i = 1UL; i <= 10; i++)
        {
            var iova = MapIoas(ioas, 0, i * K4).Iova.Value;
            Assert.False(IovaRange.FromLength(iova, i * K4).Overlaps(reserved), $"area at {iova:x} overlaps the reservation");
        }
        Assert.Equal(Errno.None, Call<IoasUnmapped>(ioas, IoasUnmap.All).Errno);

        var allowed = new IovaRange(200 * K4, 600 * K4 - 1);
        Assert.Equal(Errno.None, Allow(ioas, allowed));
        for (var i = 1UL; i <= 10; i++)
        {
            var iova = MapIoas(ioas, 0, i * K4).Iova.Value;
            Assert.True(allowed.Contains(IovaRange.FromLength(iova, i * K4)), $"area at {iova:x} is outside the allowed range");
        }
        // A fixed IOVA outside the allowed ranges is still fine: they steer only the allocator.
        Assert.Equal(Errno.None, MapIoas(ioas, 0, K4, 0x1000_0000).Errno);
    }

    [Fact]
    public void The_allocator_answers_ENOSPC_when_no_hole_fits()
    {
        var ioas = NewIoas();
        Assert.Equal(Errno.None, Allow(ioas, IovaRange.FromLength(IovaBase, 4 * K4)));
        Assert.Equal(Errno.None, MapIoas(ioas, 0, 2 * K4).Errno);
        Assert.Equal(Errno.None, MapIoas(ioas, 0, K4).Errno);
        var before = Info(ioas);
        Assert.Equal(Errno.ENOSPC, MapIoas(ioas, 0, 2 * K4).Errno);
        Assert.Equal(before.PinnedPages, Info(ioas).PinnedPages);
        Assert.Equal(before.Areas, Info(ioas).Areas);
    }
}

public sealed class IoasRangeThreadPoolTests(ITestOutputHelper output) : IoasRangeTests(output, deterministic: false);

public sealed class IoasRangeDeterministicTests(ITestOutputHelper output) : IoasRangeTests(output, deterministic: true);
