using IommuSim.Actors.Sva;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// iommu_sva_bind_device / iommu_sva_unbind_device over the real actors: bonds with users, the
/// PASID per mm, SVA domains per unit, the mm's references, the errnos, and failures that change
/// nothing. Every test ends with the refcount oracle's teardown check where it tears down.
/// </summary>
public abstract class SvaBindTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private SvaMachine Machine(SvaMachineSpec? spec = null) => new(Kit, spec);

    [Fact]
    public void The_first_bind_allocates_the_lowest_pasid_and_a_domain_that_holds_the_mm()
    {
        using var m = Machine();
        var bond = m.Bind("dev0.0");
        Assert.Equal(Errno.None, bond.Errno);
        Assert.Equal(new Pasid(1), bond.Pasid);
        Assert.Equal(1, bond.Users);
        Assert.NotNull(bond.Domain);
        var mm = m.MmState();
        Assert.Equal((new Pasid(1), 1, 2, false), (mm.Pasid, mm.SvaDomains, mm.References, mm.Exited));
        Assert.Equal(m.Mm, m.Call<SvaMmFound>(m.Sva, new SvaFindMm(new Pasid(1))).Mm);
        Assert.Equal(Errno.ESRCH, m.Call<SvaMmFound>(m.Sva, new SvaFindMm(new Pasid(2))).Errno);
        var stats = m.Stats();
        Assert.Equal((1, 1, 1, 1, 1), (stats.Pasids, stats.Bonds, stats.BondUsers, stats.Domains, stats.DomainUsers));
        Assert.Equal(1, m.IopfStats().PasidEntries);
    }

    [Fact]
    public void Binding_twice_returns_the_same_bond_with_two_users_and_the_last_unbind_detaches_the_pasid()
    {
        using var m = Machine();
        var first = m.Bind("dev0.0");
        var second = m.Bind("dev0.0");
        Assert.Equal((first.BondId, first.Pasid, first.Domain), (second.BondId, second.Pasid, second.Domain));
        Assert.Equal(2, second.Users);
        var stats = m.Stats();
        Assert.Equal((1, 2, 1, 1), (stats.Bonds, stats.BondUsers, stats.Domains, stats.DomainUsers));

        Assert.Equal(Errno.None, m.Unbind(first.BondId));
        Assert.Equal(1, m.IopfStats().PasidEntries);
        Assert.Equal(1, m.Stats().BondUsers);

        Assert.Equal(Errno.None, m.Unbind(first.BondId));
        Assert.Equal(0, m.IopfStats().PasidEntries);
        Assert.Equal(0, m.UnitStats().DomainIds);
        stats = m.Stats();
        // The domain went with its last device, the PASID stays with the mm until it goes away.
        Assert.Equal((1, 0, 0, 0), (stats.Pasids, stats.Bonds, stats.Domains, stats.DomainUsers));
        var mm = m.MmState();
        Assert.Equal((new Pasid(1), 0, 1), (mm.Pasid, mm.SvaDomains, mm.References));
        Assert.Equal(Errno.EINVAL, m.Unbind(first.BondId));

        Assert.Equal(Errno.None, m.Exit());
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        Assert.Equal(Errno.ESRCH, m.Call<SvaMmFound>(m.Sva, new SvaFindMm(new Pasid(1))).Errno);
        m.AssertTornDown();
    }

    [Fact]
    public void The_mm_stays_referenced_while_a_domain_wraps_it_and_its_pasid_goes_with_the_last_domain_after_exit()
    {
        using var m = Machine();
        var bond = m.Bind("dev0.0");
        Assert.Equal(Errno.None, m.Exit());
        var mm = m.MmState();
        Assert.Equal((true, 1, 1, bond.Pasid), (mm.Exited, mm.References, mm.SvaDomains, mm.Pasid));
        AwaitAssert(() => Assert.Equal(1, m.Stats().Pasids));
        // An exited mm cannot be bound again (no mm_users to hold), but its bond can be undone.
        Assert.Equal(Errno.ESRCH, m.Bind("dev0.0").Errno);
        Assert.Equal(Errno.None, m.Unbind(bond.BondId));
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        Assert.Equal(0, m.MmState().References);
        m.AssertTornDown();
    }

    [Fact]
    public void Devices_behind_one_unit_share_a_domain_and_each_unit_gets_its_own()
    {
        using var m = Machine(new SvaMachineSpec { Units = 2, DevicesPerUnit = 2 });
        var a = m.Bind("dev0.0");
        var b = m.Bind("dev0.1");
        var c = m.Bind("dev1.0");
        var d = m.Bind("dev1.1");
        Assert.True(new[] { a, b, c, d }.All(x => x.Errno == Errno.None && x.Pasid == a.Pasid));
        Assert.Equal(a.Domain, b.Domain);
        Assert.Equal(c.Domain, d.Domain);
        Assert.NotEqual(a.Domain, c.Domain);
        var stats = m.Stats();
        Assert.Equal((2, 4, 4), (stats.Domains, stats.DomainUsers, stats.Bonds));
        Assert.Equal(3, m.MmState().References);
        Assert.Equal(2, m.DomainStats(a.Domain!).Devices);
        foreach (var bond in new[] { a, b, c, d }) Assert.Equal(Errno.None, m.Unbind(bond.BondId));
        Assert.Equal(Errno.None, m.Exit());
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        m.AssertTornDown();
    }

    [Fact]
    public void A_shared_domain_spans_every_unit()
    {
        using var m = Machine(new SvaMachineSpec { Units = 2, Sva = new SvaOptions { DomainSharing = SvaDomainSharing.Shared } });
        var a = m.Bind("dev0.0");
        var b = m.Bind("dev1.0");
        Assert.Equal(a.Domain, b.Domain);
        Assert.Equal((1, 2), (m.Stats().Domains, m.DomainStats(a.Domain!).Units));
        Assert.Equal(Errno.None, m.Unbind(a.BondId));
        Assert.Equal(Errno.None, m.Unbind(b.BondId));
        Assert.Equal(Errno.None, m.Exit());
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        m.AssertTornDown();
    }

    [Fact]
    public void Bind_errnos_are_the_kernels_and_change_nothing()
    {
        using var m = Machine();
        var unit = m.Units[0].Ref;
        Assert.Equal(Errno.ENODEV, m.Call<SvaBond>(m.Sva, new SvaBindDevice("dev0.0", null, m.Mm)).Errno);
        Assert.Equal(Errno.ENODEV, m.Call<SvaBond>(m.Sva, new SvaBindDevice("nobody", unit, m.Mm)).Errno);
        Assert.Equal(Errno.EINVAL, m.Call<SvaBond>(m.Sva, new SvaBindDevice("", unit, m.Mm)).Errno);
        Assert.Equal(Errno.EINVAL, m.Unbind(42));
        var stats = m.Stats();
        Assert.Equal((0, 0, 0, 0L), (stats.Pasids, stats.Bonds, stats.Domains, stats.Binds));
        Assert.False(m.MmState().Pasid.IsValid);

        var exited = m.NewMm("exited");
        Assert.Equal(Errno.None, m.Exit(exited));
        Assert.Equal(Errno.ESRCH, m.Bind("dev0.0", exited).Errno);
        Assert.Equal(0, m.Stats().Pasids);
        m.AssertTornDown();
    }

    [Fact]
    public void A_unit_without_sva_has_no_device_to_bind()
    {
        using var m = Machine(new SvaMachineSpec { Capabilities = IommuUnitCapabilities.IntelVtd with { Sva = false } });
        Assert.Equal(Errno.ENODEV, m.Bind("dev0.0").Errno);
        Assert.Equal(0, m.Stats().Pasids);
    }

    [Fact]
    public void A_pasid_already_attached_to_another_domain_is_ebusy_and_the_failed_first_bind_gives_its_pasid_back()
    {
        using var m = Machine();
        var other = CreateTestProbe("other-domain");
        // Something else (an iommufd PASID attach, say) holds PASID 1 of the device.
        other.Send(m.Units[0].Ref, new UnitSetDevPasid("dev0.0", new Pasid(1), other.Ref, m.Mm));
        Assert.Equal(Errno.None, other.ExpectMsg<UnitDevPasidSet>().Errno);
        Assert.Equal(Errno.EBUSY, m.Bind("dev0.0").Errno);
        var stats = m.Stats();
        Assert.Equal((0, 0, 0, 1L), (stats.Pasids, stats.Domains, stats.Bonds, stats.DomainsAllocated));
        var mm = m.MmState();
        Assert.Equal((false, 1, 0), (mm.Pasid.IsValid, mm.References, mm.SvaDomains));
        Assert.Equal(Errno.None, m.Exit());
        m.AssertTornDown();
    }
}

public sealed class SvaBindThreadPoolTests(ITestOutputHelper output) : SvaBindTests(output, deterministic: false);

public sealed class SvaBindDeterministicTests(ITestOutputHelper output) : SvaBindTests(output, deterministic: true);
