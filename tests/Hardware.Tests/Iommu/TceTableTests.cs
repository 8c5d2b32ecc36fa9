using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class TceTableTests
{
    private const ulong Offset = 0x800;
    private const ulong Index = 0x810;

    public static TheoryData<DmaDirection, DmaDirection> DirectionPairs()
    {
        var data = new TheoryData<DmaDirection, DmaDirection>();
        foreach (var old in Enum.GetValues<DmaDirection>())
            foreach (var @new in Enum.GetValues<DmaDirection>())
                data.Add(old, @new);
        return data;
    }

    [Theory]
    [MemberData(nameof(DirectionPairs))]
    public void Exchange_writes_the_new_tce_and_returns_the_old_address_and_direction(DmaDirection oldDirection, DmaDirection newDirection)
    {
        var table = new TceTable(Offset, 0x100);
        const ulong oldAddr = 0x1234_5000;
        const ulong newAddr = 0xABCD_E000;
        Assert.Equal(Errno.None, table.Set(Index, 1, Phys(oldAddr), oldDirection));

        var hostAddr = Phys(newAddr);
        var direction = newDirection;
        Assert.Equal(Errno.None, table.Exchange(Index, ref hostAddr, ref direction));

        // DMA_NONE set() is clear(): the old entry is 0, so exchange hands back address 0 and DMA_NONE.
        var expectedOld = oldDirection == DmaDirection.None ? 0 : oldAddr;
        Assert.Equal((Phys(expectedOld), oldDirection), (hostAddr, direction));
        Assert.Equal(Errno.None, table.Get(Index, out var tce));
        Assert.Equal(newAddr | TceTable.DirectionToTcePerm(newDirection), tce);
        Assert.Equal(newDirection, TceTable.TceDirection(tce));
        Assert.Equal(newDirection == DmaDirection.None ? 0 : 1, table.ValidEntries);
        Assert.Equal(1, table.Exchanges);
        Assert.Equal(0, table.Invalidations);
        Assert.Equal(newDirection.DeviceMayRead(), table.TryTranslate(Index << 12, IoProt.Read, out _));
        Assert.Equal(newDirection.DeviceMayWrite(), table.TryTranslate(Index << 12, IoProt.Write, out _));
    }

    [Fact]
    public void An_exchange_with_DMA_NONE_and_an_address_leaves_an_invalid_entry_that_still_reports_its_address()
    {
        var table = new TceTable(Offset, 0x100);
        var hostAddr = Phys(0x7000);
        var direction = DmaDirection.None;
        Assert.Equal(Errno.None, table.Exchange(Index, ref hostAddr, ref direction));
        Assert.Equal(0, table.ValidEntries);

        hostAddr = Phys(0);
        direction = DmaDirection.ToDevice;
        Assert.Equal(Errno.None, table.Exchange(Index, ref hostAddr, ref direction));
        Assert.Equal((Phys(0x7000), DmaDirection.None), (hostAddr, direction));
    }

    [Fact]
    public void The_clear_loop_of_seed_003_gets_back_each_page_to_release()
    {
        var table = new TceTable(Offset, 0x100);
        Assert.Equal(Errno.None, table.Set(Index, 3, Phys(0x10_0000), DmaDirection.Bidirectional));
        var released = new List<(PhysAddr, DmaDirection)>();
        for (var entry = Index; entry < Index + 4; entry++)
        {
            var tce = Phys(0);
            var direction = DmaDirection.None;
            Assert.Equal(Errno.None, table.Exchange(entry, ref tce, ref direction));
            if (direction != DmaDirection.None)
                released.Add((tce, direction));
        }
        Assert.Equal([(Phys(0x10_0000), DmaDirection.Bidirectional), (Phys(0x10_1000), DmaDirection.Bidirectional),
            (Phys(0x10_2000), DmaDirection.Bidirectional)], released);
        Assert.Equal(0, table.ValidEntries);
    }

    [Theory]
    [InlineData(Offset - 1)]
    [InlineData(Offset + 0x100)]
    public void Exchange_outside_the_window_is_EINVAL_and_changes_nothing(ulong index)
    {
        var table = new TceTable(Offset, 0x100);
        var hostAddr = Phys(0x5000);
        var direction = DmaDirection.ToDevice;
        Assert.Equal(Errno.EINVAL, table.Exchange(index, ref hostAddr, ref direction));
        Assert.Equal((Phys(0x5000), DmaDirection.ToDevice), (hostAddr, direction));
        Assert.Equal((0L, 0L), (table.Exchanges, table.ValidEntries));
        Assert.Equal(Errno.EINVAL, table.Get(index, out _));
    }

    [Fact]
    public void Exchange_of_an_address_not_aligned_to_the_iommu_page_is_EINVAL()
    {
        var table = new TceTable(0, 0x100, pageShift: 16);
        var hostAddr = Phys(0x1_1000);
        var direction = DmaDirection.ToDevice;
        Assert.Equal(Errno.EINVAL, table.Exchange(3, ref hostAddr, ref direction));
        hostAddr = Phys(0x3_0000);
        Assert.Equal(Errno.None, table.Exchange(3, ref hostAddr, ref direction));
        Assert.True(table.TryTranslate(3 * 0x1_0000 + 0x1234, IoProt.Read, out var phys));
        Assert.Equal(Phys(0x3_1234), phys);
    }

    [Fact]
    public void A_table_without_exchange_refuses_exchange_and_ownership()
    {
        var table = new TceTable(Offset, 0x100, hasExchange: false);
        var hostAddr = Phys(0x5000);
        var direction = DmaDirection.ToDevice;
        Assert.Equal(Errno.EINVAL, table.Exchange(Index, ref hostAddr, ref direction));
        Assert.Equal(Errno.EINVAL, table.TakeOwnership());
        Assert.False(table.IsOwned);
    }

    [Fact]
    public void Ownership_needs_an_unused_table_and_is_exclusive()
    {
        var table = new TceTable(Offset, 0x100);
        Assert.Equal(Errno.None, table.Set(Index, 1, Phys(0x5000), DmaDirection.ToDevice));
        Assert.Equal(Errno.EBUSY, table.TakeOwnership());
        Assert.Equal(Errno.None, table.Clear(Index, 1));
        Assert.Equal(Errno.None, table.TakeOwnership());
        Assert.Equal(Errno.EBUSY, table.TakeOwnership());
        table.ReleaseOwnership();
        Assert.Equal(Errno.None, table.TakeOwnership());
    }

    [Theory]
    [InlineData(TceTableType.Pci, 0, 0, 0)]
    [InlineData(TceTableType.Pci | TceTableType.PciSwinvCreate, 1, 0, 2)]
    [InlineData(TceTableType.Pci | TceTableType.PciSwinvFree, 0, 1, 2)]
    [InlineData(TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree, 1, 1, 2)]
    public void Software_invalidations_follow_the_swinv_flags(TceTableType type, int perSet, int perClear, int perTwoExchanges)
    {
        var table = new TceTable(Offset, 0x100, type: type);
        Assert.Equal(Errno.None, table.Set(Index, 4, Phys(0x10_0000), DmaDirection.ToDevice));
        Assert.Equal(perSet, table.Invalidations);
        Assert.Equal(Errno.None, table.Clear(Index, 4));
        Assert.Equal(perSet + perClear, table.Invalidations);

        for (var i = 0; i < 2; i++)
        {
            var hostAddr = Phys(0x20_0000);
            var direction = DmaDirection.FromDevice;
            Assert.Equal(Errno.None, table.Exchange(Index, ref hostAddr, ref direction));
        }
        Assert.Equal(perSet + perClear + perTwoExchanges, table.Invalidations);
        Assert.Equal(2, table.Exchanges);
    }

    [Fact]
    public void Set_maps_consecutive_pages_and_DMA_NONE_clears()
    {
        var table = new TceTable(Offset, 0x100);
        Assert.Equal(Errno.None, table.Set(Index, 3, Phys(0x40_0000), DmaDirection.FromDevice));
        for (ulong i = 0; i < 3; i++)
        {
            Assert.Equal(Errno.None, table.Get(Index + i, out var tce));
            Assert.Equal((0x40_0000 + i * K4) | TceTable.TcePciWrite, tce);
        }
        Assert.Equal(3, table.ValidEntries);
        Assert.Equal(Errno.None, table.Set(Index + 1, 1, Phys(0x99_0000), DmaDirection.None));
        Assert.Equal(Errno.None, table.Get(Index + 1, out var cleared));
        Assert.Equal(0UL, cleared);
        Assert.Equal(2, table.ValidEntries);
    }

    [Fact]
    public void Set_and_Clear_running_past_the_window_are_EINVAL_and_change_nothing()
    {
        var table = new TceTable(Offset, 0x100);
        Assert.Equal(Errno.EINVAL, table.Set(Offset + 0xFE, 3, Phys(0x40_0000), DmaDirection.ToDevice));
        Assert.Equal(Errno.EINVAL, table.Set(Offset, 1, Phys(0x40_0800), DmaDirection.ToDevice));
        Assert.Equal(Errno.EINVAL, table.Set(Offset, 0, Phys(0x40_0000), DmaDirection.ToDevice));
        Assert.Equal(0, table.ValidEntries);
        Assert.Equal(Errno.None, table.Set(Offset + 0xFE, 2, Phys(0x40_0000), DmaDirection.ToDevice));
        Assert.Equal(Errno.EINVAL, table.Clear(Offset + 0xFF, 2));
        Assert.Equal(2, table.ValidEntries);
    }

    [Fact]
    public void TryTranslate_checks_the_window_and_the_permission()
    {
        var table = new TceTable(Offset, 0x10);
        Assert.Equal(Errno.None, table.Set(Offset, 1, Phys(0xA000), DmaDirection.ToDevice));

        Assert.True(table.TryTranslate((Offset << 12) + 0x123, IoProt.Read, out var phys));
        Assert.Equal(Phys(0xA123), phys);
        Assert.False(table.TryTranslate(Offset << 12, IoProt.Write, out _));
        Assert.False(table.TryTranslate((Offset + 1) << 12, IoProt.None, out _));
        Assert.False(table.TryTranslate((Offset - 1) << 12, IoProt.Read, out _));
        Assert.Equal(new AddressRange(Offset << 12, (Offset + 0x10) << 12), table.Window);
    }

    [Fact]
    public void Storage_is_allocated_a_tce_page_at_a_time_on_first_write()
    {
        var table = new TceTable(0, 1UL << 30);
        Assert.Equal(0, table.AllocatedTcePages);
        Assert.Equal(Errno.None, table.Clear((1UL << 30) - 1, 1));
        Assert.Equal(0, table.AllocatedTcePages);
        Assert.Equal(Errno.None, table.Set((1UL << 30) - 1, 1, Phys(0x1000), DmaDirection.Bidirectional));
        Assert.Equal(Errno.None, table.Set((1UL << 30) - 512, 1, Phys(0x2000), DmaDirection.Bidirectional));
        Assert.Equal(1, table.AllocatedTcePages);
    }

    [Fact]
    public void Direction_and_permission_conversions_match_the_kernel()
    {
        Assert.Equal(3UL, TceTable.DirectionToTcePerm(DmaDirection.Bidirectional));
        Assert.Equal(1UL, TceTable.DirectionToTcePerm(DmaDirection.ToDevice));
        Assert.Equal(2UL, TceTable.DirectionToTcePerm(DmaDirection.FromDevice));
        Assert.Equal(0UL, TceTable.DirectionToTcePerm(DmaDirection.None));
        Assert.Equal(DmaDirection.Bidirectional, TceTable.TceDirection(0x5000 | 3));
        Assert.Equal(DmaDirection.ToDevice, TceTable.TceDirection(0x5000 | 1));
        Assert.Equal(DmaDirection.FromDevice, TceTable.TceDirection(0x5000 | 2));
        Assert.Equal(DmaDirection.None, TceTable.TceDirection(0x5000));
    }

    [Fact]
    public void Construction_validates_the_window()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TceTable(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TceTable(ulong.MaxValue >> 12, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TceTable(0, 1, pageShift: 11));
    }
}

public class TceTableKillTests
{
    private const TceTableType Swinv = TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree;

    [Fact]
    public void ExchangeNoKill_exchanges_like_exchange_but_leaves_the_invalidation_to_one_kill_per_run()
    {
        var table = new TceTable(0x800, 0x100, type: Swinv);
        for (ulong i = 0; i < 8; i++)
        {
            var hostAddr = new PhysAddr(0x10_0000 + i * 0x1000);
            var direction = DmaDirection.FromDevice;
            Assert.Equal(Errno.None, table.ExchangeNoKill(0x800 + i, ref hostAddr, ref direction));
            Assert.Equal((new PhysAddr(0), DmaDirection.None), (hostAddr, direction));
        }
        Assert.Equal((8L, 8L, 0L), (table.Exchanges, table.ValidEntries, table.Invalidations));
        Assert.True(table.Kill(0x800, 8));
        Assert.Equal(1L, table.Invalidations);
        Assert.False(table.Kill(0x800, 0));
        Assert.Equal(1L, table.Invalidations);
    }

    [Fact]
    public void A_table_the_phb_does_not_cache_needs_no_kill()
    {
        var table = new TceTable(0, 0x10, type: TceTableType.Pci);
        Assert.False(table.NeedsSoftwareInvalidation);
        Assert.False(table.Kill(0, 4));
        Assert.Equal(0L, table.Invalidations);
        Assert.True(new TceTable(0, 0x10, type: TceTableType.Pci | TceTableType.PciSwinvFree).NeedsSoftwareInvalidation);
    }

    [Theory]
    [InlineData(0x7FFUL)]
    [InlineData(0x900UL)]
    public void ExchangeNoKill_outside_the_window_is_EINVAL_and_changes_nothing(ulong index)
    {
        var table = new TceTable(0x800, 0x100, type: Swinv);
        var hostAddr = new PhysAddr(0x5000);
        var direction = DmaDirection.ToDevice;
        Assert.Equal(Errno.EINVAL, table.ExchangeNoKill(index, ref hostAddr, ref direction));
        Assert.Equal((new PhysAddr(0x5000), DmaDirection.ToDevice), (hostAddr, direction));
        Assert.Equal((0L, 0L, 0L), (table.Exchanges, table.ValidEntries, table.AllocatedTcePages));
    }

    [Fact]
    public void Of_containers_racing_for_one_table_exactly_one_takes_ownership()
    {
        for (var round = 0; round < 200; round++)
        {
            var table = new TceTable(0, 0x10);
            var wins = 0;
            Parallel.For(0, 4, _ =>
            {
                if (table.TakeOwnership() == Errno.None) Interlocked.Increment(ref wins);
            });
            Assert.Equal(1, wins);
            Assert.True(table.IsOwned);
        }
    }
}
