using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>
/// The unit with a dirty-tracking domain: a write that finds a clean cached translation (from a
/// read, or from before the leaf was cleared) walks again, so that the IOPTE's dirty bit is set; a
/// write that finds a dirty one, or any access to a domain that does not track, uses the cache.
/// </summary>
public abstract class IommuUnitDirtyTests(ITestOutputHelper output, bool deterministic) : HardwareKit(output, deterministic)
{
    private const ulong Base = 0x4000_0000;

    private (IommuUnitHandle Unit, IActorRef Domain, IActorRef Device) Machine(bool tracking)
    {
        var unit = CreateUnit(UnitConfig("iommu0"));
        var table = unit.Capabilities.CreatePageTable();
        Assert.Equal(Errno.None, table.SetDirtyTracking(tracking));
        var domain = Sys.ActorOf(Props.Create(() => new TrackingDomain(table)), "domain");
        var device = CreateDevice(unit, new DeviceOptions("gpu0"));
        Attach(unit, "gpu0", domain);
        MapPages(domain, Base, AllocPages(2));
        return (unit, domain, device);
    }

    [Fact]
    public void A_write_after_a_read_walks_again_and_sets_the_dirty_bit()
    {
        var (unit, domain, device) = Machine(tracking: true);
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);
        Assert.Equal(1L, UnitStats(unit).Walks);

        Assert.Equal(Errno.None, Write(device, Base, 7).Errno);
        Assert.Equal(2L, UnitStats(unit).Walks);
        Assert.True(Call<LeafDirty>(domain, new IsDirty(Base)).Dirty);

        // Now the cached entry is dirty: the next write and read use it.
        Assert.Equal(Errno.None, Write(device, Base, 8).Errno);
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);
        Assert.Equal(2L, UnitStats(unit).Walks);
    }

    [Fact]
    public void Without_tracking_a_write_uses_the_entry_a_read_cached()
    {
        var (unit, domain, device) = Machine(tracking: false);
        Assert.Equal(Errno.None, Read(device, Base, 1).Errno);
        Assert.Equal(Errno.None, Write(device, Base, 7).Errno);
        Assert.Equal(Errno.None, Write(device, Base, 8).Errno);
        Assert.Equal(1L, UnitStats(unit).Walks);
        Assert.False(Call<LeafDirty>(domain, new IsDirty(Base)).Dirty);
    }

    private sealed record IsDirty(ulong Iova);

    private sealed record LeafDirty(bool Dirty);

    /// <summary>A domain that owns a table with tracking set as given and answers the walker as IommuDomainActor does, DirtyTracking included.</summary>
    private sealed class TrackingDomain : ReceiveActor
    {
        public TrackingDomain(IoPageTable table)
        {
            Receive<IommuMap>(m => Sender.Tell(new Done(table.Map(m.Iova, m.Phys, m.Size, (IoProt)(int)m.Prot)), Self));
            Receive<IsDirty>(q => Sender.Tell(new LeafDirty(table.Walk(new Iova(q.Iova)).Dirty), Self));
            Receive<TranslateRange>(r =>
            {
                var list = new List<Translation>();
                var errno = Errno.None;
                for (var i = 0; i < r.Pages && errno == Errno.None; i++)
                {
                    var walk = table.Walk(r.Iova + (ulong)i * HardwareKit.K4, r.Write ? IoProt.Write : IoProt.Read);
                    errno = walk.IsOk ? Errno.None : Errno.EFAULT;
                    list.Add(new Translation(errno, walk.Phys, walk.IsOk ? walk.PageSize.Bytes : 0, (IommuProt)(int)walk.Prot, walk.Levels)
                    {
                        Dirty = walk.Dirty,
                        DirtyTracking = table.DirtyTracking,
                    });
                }
                Sender.Tell(new RangeTranslation(errno, r.Iova, list), Self);
            });
            Receive<UnitDeviceAttached>(_ => { });
        }
    }
}

public sealed class IommuUnitDirtyThreadPoolTests(ITestOutputHelper output) : IommuUnitDirtyTests(output, deterministic: false);

public sealed class IommuUnitDirtyDeterministicTests(ITestOutputHelper output) : IommuUnitDirtyTests(output, deterministic: true);
