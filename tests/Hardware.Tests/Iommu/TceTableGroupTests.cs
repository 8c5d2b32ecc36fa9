using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Hardware.Tests.Iommu;

public class TceTableGroupTests
{
    private static readonly IommuUnitHandle Phb = new("phb0", ActorRefs.Nobody, IommuUnitCapabilities.PowerPhb);

    [Fact]
    public void Taking_ownership_takes_every_table_or_none()
    {
        var dma32 = new TceTable(0, 0x100);
        var ddw = new TceTable(0x1_0000, 0x100, pageShift: 16);
        var group = new TceTableGroup("domain0-pe1", Phb, ["gpu0"], dma32, ddw);
        Assert.Equal((0UL, 0x100_000UL, 0x1_1000UL), (group.Tce32Start, group.Tce32Size, group.PageSizes));

        Assert.Equal(Errno.None, ddw.Set(0x1_0000, 1, new PhysAddr(0x10_0000), DmaDirection.ToDevice));
        Assert.Equal(Errno.EBUSY, group.TakeOwnership());
        Assert.False(dma32.IsOwned || ddw.IsOwned);

        Assert.Equal(Errno.None, ddw.Clear(0x1_0000, 1));
        Assert.Equal(Errno.None, group.TakeOwnership());
        Assert.True(dma32.IsOwned && ddw.IsOwned);
        Assert.Equal(Errno.EBUSY, group.TakeOwnership());
        group.ReleaseOwnership();
        Assert.False(dma32.IsOwned || ddw.IsOwned);
    }

    [Fact]
    public void A_table_without_exchange_makes_the_group_EINVAL_and_the_first_table_is_given_back()
    {
        var dma32 = new TceTable(0, 0x100);
        var group = new TceTableGroup("g", Phb, [], dma32, new TceTable(0x1000, 0x100, hasExchange: false));
        Assert.Equal(Errno.EINVAL, group.TakeOwnership());
        Assert.False(dma32.IsOwned);
    }

    [Fact]
    public void A_group_has_one_or_two_disjoint_windows()
    {
        Assert.Throws<ArgumentException>(() => new TceTableGroup("g", Phb, []));
        Assert.Throws<ArgumentException>(() => new TceTableGroup("g", Phb, [], new TceTable(0, 1), new TceTable(1, 1), new TceTable(2, 1)));
        Assert.Throws<ArgumentException>(() => new TceTableGroup("g", Phb, [], new TceTable(0, 0x100), new TceTable(0xFF, 0x100)));
    }
}
