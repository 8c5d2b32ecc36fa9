using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// A unit's PASID table on its own, a test probe playing the SVA domain: set_dev_pasid's checks
/// (iommu_attach_device_pasid's errnos), the domain id an SVA domain holds while it has entries on
/// the unit, and remove_dev_pasid of an entry it does not hold.
/// </summary>
public abstract class UnitPasidTableTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private (IommuUnitHandle Unit, TestProbe Domain, IActorRef Mm) Setup(IommuUnitCapabilities? caps = null)
    {
        var memory = new PhysicalMemory(16UL << 20);
        var unit = IommuUnitActor.Create(Sys, new IommuUnitConfig("iommu0", caps ?? IommuUnitCapabilities.IntelVtd), memory);
        foreach (var (name, bits) in new[] { ("a", 20), ("b", 20), ("narrow", 3) })
        {
            var device = Sys.ActorOf(DeviceActor.Props(new DeviceOptions(name) { PasidBits = bits }, unit, memory), name);
            Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
        }
        return (unit, CreateTestProbe("domain"), CreateTestProbe("mm").Ref);
    }

    private static Errno Set(TestProbe domain, IommuUnitHandle unit, string device, uint pasid, IActorRef mm, IommuDomainType type = IommuDomainType.Sva)
    {
        domain.Send(unit.Ref, new UnitSetDevPasid(device, new Pasid(pasid), domain.Ref, mm, type));
        return domain.ExpectMsg<UnitDevPasidSet>().Errno;
    }

    [Fact]
    public void Set_dev_pasid_checks_the_device_the_pasid_and_the_entry()
    {
        var (unit, domain, mm) = Setup();
        Assert.Equal(Errno.ENODEV, Set(domain, unit, "nobody", 1, mm));
        Assert.Equal(Errno.EINVAL, Set(domain, unit, "a", 0, mm));
        Assert.Equal(Errno.EINVAL, Set(domain, unit, "narrow", 8, mm));
        Assert.Equal(Errno.EINVAL, Set(domain, unit, "a", 1, mm, IommuDomainType.Unmanaged));
        Assert.Equal(Errno.None, Set(domain, unit, "narrow", 7, mm));
        Assert.Equal(Errno.EBUSY, Set(domain, unit, "narrow", 7, mm));
        Assert.Equal(1, Call<UnitIopfStats>(unit.Ref, new GetUnitIopfStats()).PasidEntries);
        var info = Call<UnitSvaInfoReply>(unit.Ref, new UnitSvaInfo("narrow"));
        Assert.Equal((Errno.None, 8u, true), (info.Errno, info.MaxPasids, info.PageRequests));
        Assert.Equal(Errno.ENODEV, Call<UnitSvaInfoReply>(unit.Ref, new UnitSvaInfo("nobody")).Errno);
    }

    [Fact]
    public void An_sva_domain_holds_one_domain_id_while_it_has_entries_on_the_unit()
    {
        var (unit, domain, mm) = Setup();
        Assert.Equal(Errno.None, Set(domain, unit, "a", 5, mm));
        Assert.Equal(Errno.None, Set(domain, unit, "b", 5, mm));
        Assert.Equal(1, Call<IommuUnitStats>(unit.Ref, new GetIommuUnitStats()).DomainIds);

        domain.Send(unit.Ref, new UnitRemoveDevPasid("a", new Pasid(5), domain.Ref));
        Assert.Equal(new UnitDevPasidRemoved(Errno.None, false), domain.ExpectMsg<UnitDevPasidRemoved>());
        domain.Send(unit.Ref, new UnitRemoveDevPasid("a", new Pasid(5), domain.Ref));
        Assert.Equal(Errno.EINVAL, domain.ExpectMsg<UnitDevPasidRemoved>().Errno);
        var other = CreateTestProbe("other");
        other.Send(unit.Ref, new UnitRemoveDevPasid("b", new Pasid(5), other.Ref));
        Assert.Equal(Errno.EINVAL, other.ExpectMsg<UnitDevPasidRemoved>().Errno);
        domain.Send(unit.Ref, new UnitRemoveDevPasid("b", new Pasid(5), domain.Ref));
        Assert.Equal(new UnitDevPasidRemoved(Errno.None, true), domain.ExpectMsg<UnitDevPasidRemoved>());
        Assert.Equal(0, Call<IommuUnitStats>(unit.Ref, new GetIommuUnitStats()).DomainIds);
    }

    [Fact]
    public void A_unit_without_sva_has_no_pasid_table()
    {
        var (unit, domain, mm) = Setup(IommuUnitCapabilities.IntelVtd with { Sva = false });
        Assert.Equal(Errno.ENODEV, Set(domain, unit, "a", 1, mm));
        Assert.Equal(Errno.ENODEV, Call<UnitSvaInfoReply>(unit.Ref, new UnitSvaInfo("a")).Errno);
    }
}

public sealed class UnitPasidTableThreadPoolTests(ITestOutputHelper output) : UnitPasidTableTests(output, deterministic: false);

public sealed class UnitPasidTableDeterministicTests(ITestOutputHelper output) : UnitPasidTableTests(output, deterministic: true);
