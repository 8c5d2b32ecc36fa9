using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tce;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Tce;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Tce;

// The container's ownership of a group's tables (attach, detach, enable/disable with locked
// memory, get-info, the second window): iommu_take_ownership and tce_iommu_attach_group.
public abstract partial class TceContainerActorTests
{
    [Fact]
    public void Attach_takes_ownership_of_every_table_and_a_second_group_or_container_is_EBUSY()
    {
        using var m = Machine();
        Assert.Equal(Errno.ENODEV, m.Attach("no-such-group"));
        Assert.False(m.Table.IsOwned);
        Assert.Equal(Errno.None, m.Attach());
        Assert.True(m.Table.IsOwned);
        Assert.Equal(Errno.EBUSY, m.Attach());

        var other = Sys.ActorOf(TceContainerActor.Props(m.Memory, m.Mm, [m.Group]), "other-container");
        Assert.Equal(Errno.EBUSY, m.Call<Done>(other, new TceAttachGroup(TceMachine.GroupName)).Errno);

        Assert.Equal(Errno.None, m.Detach());
        Assert.False(m.Table.IsOwned);
        Assert.Equal(Errno.None, m.Call<Done>(other, new TceAttachGroup(TceMachine.GroupName)).Errno);
        Assert.Equal(Errno.None, m.Call<Done>(other, new TceDetachGroup(TceMachine.GroupName)).Errno);
        Assert.Equal(Errno.EINVAL, m.Detach());
        m.TearDownAndCheck();
    }

    [Fact]
    public void Attach_of_a_table_the_host_still_uses_is_EBUSY_and_changes_nothing()
    {
        using var m = Machine();
        Assert.Equal(Errno.None, m.Table.Set(m.Table.Offset, 1, new PhysAddr(0x10_0000), DmaDirection.ToDevice));
        Assert.Equal(Errno.EBUSY, m.Attach());
        Assert.False(m.Table.IsOwned);
        Assert.Equal(Errno.ENODEV, m.Enable());
        Assert.Equal(Errno.EFAULT, m.DmaRead(m.WindowStart, 1).Errno);
        Assert.Equal(Errno.None, m.Table.Clear(m.Table.Offset, 1));
        Assert.Equal(Errno.None, m.Attach());
        m.TearDownAndCheck();
    }

    [Fact]
    public void Attach_of_a_group_with_a_table_without_exchange_is_EINVAL_and_gives_back_the_tables_it_took()
    {
        var ddw = new TceTable(0x1_0000, 0x100, hasExchange: false);
        using var m = Machine(new TceMachineOptions { SecondTable = ddw });
        Assert.Equal(Errno.EINVAL, m.Attach());
        Assert.False(m.Table.IsOwned);
        Assert.False(ddw.IsOwned);
        Assert.Equal(0, m.Stats().Groups);
        m.TearDownAndCheck();
    }

    [Fact]
    public void Attach_of_a_group_with_a_device_the_phb_does_not_know_is_ENODEV_and_undoes_the_devices_and_tables_it_took()
    {
        using var m = Machine();
        var table = new TceTable(0x2000, 0x10, type: TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree);
        var group = new TceTableGroup("ghost-group", m.Unit, ["gpu0", "ghost"], table);
        var container = Sys.ActorOf(TceContainerActor.Props(m.Memory, m.Mm, [group]), "ghost-container");
        Assert.Equal(Errno.ENODEV, m.Call<Done>(container, new TceAttachGroup("ghost-group")).Errno);
        Assert.False(table.IsOwned);
        Assert.Equal(0, m.Call<TceContainerStats>(container, new GetTceContainerStats()).Groups);
        // gpu0 was attached on the PHB and detached again: the machine's own container can take it.
        Assert.Equal(Errno.None, m.Attach());
        m.TearDownAndCheck();
    }

    [Fact]
    public void Attach_to_an_enabled_container_is_EBUSY()
    {
        using var m = Machine().Ready();
        Assert.Equal(Errno.EBUSY, m.Attach());
        Assert.True(m.Stats().Enabled);
        m.TearDownAndCheck();
    }

    [Fact]
    public void Enable_accounts_the_default_window_as_locked_memory_and_checks_the_limit()
    {
        var window = 0x400 * Page;
        using var m = Machine(new TceMachineOptions { Container = new TceContainerOptions { MemlockLimitBytes = window - Page } });
        Assert.Equal(Errno.ENODEV, m.Enable());
        Assert.Equal(Errno.None, m.Attach());
        Assert.Equal(Errno.ENOMEM, m.Enable());
        var stats = m.Stats();
        Assert.Equal((false, 0L), (stats.Enabled, stats.LockedPages));
        var buffer = m.Mmap(1, Value);
        Assert.Equal(Errno.EPERM, m.Map(buffer, m.WindowStart, Page));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Enable_twice_is_EBUSY_disable_gives_the_locked_memory_back_and_CAP_IPC_LOCK_ignores_the_limit()
    {
        using var m = Machine(new TceMachineOptions { Container = new TceContainerOptions { MemlockLimitBytes = 0, CapIpcLock = true } });
        Assert.Equal(Errno.None, m.Attach());
        Assert.Equal(Errno.None, m.Enable());
        Assert.Equal(0x400L, m.Stats().LockedPages);
        Assert.Equal(Errno.EBUSY, m.Enable());
        Assert.Equal(Errno.None, m.Call<Done>(m.Container, new TceDisable()).Errno);
        Assert.Equal(Errno.None, m.Call<Done>(m.Container, new TceDisable()).Errno);
        var stats = m.Stats();
        Assert.Equal((false, 0L), (stats.Enabled, stats.LockedPages));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Get_info_reports_the_default_window_and_is_ENXIO_without_a_group()
    {
        using var m = Machine();
        Assert.Equal(Errno.ENXIO, m.Call<TceInfo>(m.Container, new TceGetInfo()).Errno);
        Assert.Equal(Errno.None, m.Attach());
        Assert.Equal(new TceInfo(Errno.None, 0x100 * Page, 0x400 * Page), m.Call<TceInfo>(m.Container, new TceGetInfo()));
        m.TearDownAndCheck();
    }

    [Fact]
    public void Detach_disables_clears_every_entry_releases_every_pin_and_blocks_the_devices()
    {
        using var m = Machine().Ready();
        var buffer = m.Mmap(6, Value);
        Assert.Equal(Errno.None, m.Map(buffer, m.WindowStart, 3 * Page, VfioDmaMapFlags.Write));
        Assert.Equal(Errno.None, m.Map(buffer + 3 * Page, m.WindowStart + 0x200 * Page, 3 * Page, VfioDmaMapFlags.Read));
        Assert.Equal(Errno.None, m.Detach());
        var stats = m.Stats();
        Assert.Equal((false, 0L, 0L, 6L, 3L), (stats.Enabled, stats.PinnedPages, stats.ValidTces, stats.PagesReleased, stats.PagesDirtied));
        Assert.Equal(Errno.EFAULT, m.DmaRead(m.WindowStart + 0x200 * Page, 1).Errno);
        Assert.Equal(0, m.Memory.Counters.PinnedPages);
        Assert.Equal(Errno.None, m.Attach());
        m.TearDownAndCheck();
    }

    [Fact]
    public void Maps_reach_the_second_window_through_its_own_table()
    {
        var ddw = new TceTable(0x1_0000, 0x100, type: TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree);
        using var m = Machine(new TceMachineOptions { SecondTable = ddw }).Ready();
        var buffer = m.Mmap(2, Value);
        var iova = 0x1_0000UL * Page + 5 * Page;
        Assert.Equal(Errno.None, m.Map(buffer, iova, 2 * Page));
        Assert.Equal((2L, 0L), (ddw.ValidEntries, m.Table.ValidEntries));
        Assert.Equal([Value(0), Value(1)], m.DmaRead(iova, 2).Values);
        m.TearDownAndCheck();
        Assert.Equal(0L, ddw.ValidEntries);
    }
}
