using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPteTests
{
    [Fact]
    public void PfnEntryGivesBackAPfnAndNoDmaAddress()
    {
        var pte = HmmPte.FromPfn(new Pfn(0x12345), write: true);

        Assert.True(pte.IsValid);
        Assert.True(pte.IsValidPfn);
        Assert.False(pte.IsValidDma);
        Assert.Equal(new Pfn(0x12345), pte.Pfn);
        Assert.Null(pte.DmaAddr);
        Assert.True(pte.TryGetPfn(out var pfn));
        Assert.Equal(new Pfn(0x12345), pfn);
        Assert.False(pte.TryGetDmaAddr(out _));
        Assert.True(pte.IsWrite);
        Assert.False(pte.IsDirty);
    }

    [Fact]
    public void DmaEntryGivesBackADmaAddressAndNoPfn()
    {
        var pte = HmmPte.FromDmaAddr(new DmaAddr(0xfeed_0000UL));

        Assert.True(pte.IsValidDma);
        Assert.False(pte.IsValidPfn);
        Assert.Equal(new DmaAddr(0xfeed_0000UL), pte.DmaAddr);
        Assert.Null(pte.Pfn);
        Assert.False(pte.TryGetPfn(out _));
        Assert.True(pte.TryGetDmaAddr(out var dma));
        Assert.Equal(new DmaAddr(0xfeed_0000UL), dma);
        Assert.False(pte.IsWrite);
    }

    [Fact]
    public void EmptyEntryHasNeitherAddress()
    {
        var pte = HmmPte.Empty;

        Assert.False(pte.IsValid);
        Assert.Equal(0UL, pte.Raw);
        Assert.Null(pte.Pfn);
        Assert.Null(pte.DmaAddr);
    }

    [Fact]
    public void BitLayoutIsTheSeedHeaders()
    {
        Assert.Equal((0x42UL << 12) | (1UL << HmmPte.ValidPfnBit), HmmPte.FromPfn(new Pfn(0x42)).Raw);
        Assert.Equal(0x42000UL | (1UL << HmmPte.ValidDmaBit) | (1UL << HmmPte.WriteBit), HmmPte.FromDmaAddr(new DmaAddr(0x42000), write: true).Raw);
        Assert.Equal((7UL << 12) | (1UL << HmmPte.ValidPfnBit) | (1UL << HmmPte.DirtyBit), HmmPte.FromPfn(new Pfn(7)).WithDirty(true).Raw);
        Assert.Equal((7UL << 12) | (1UL << HmmPte.ValidPfnBit) | (0x3UL << HmmPte.DriverShift), HmmPte.FromPfn(new Pfn(7)).WithDriverFlags(3).Raw);
        Assert.Equal(4, HmmPte.DriverShift);
        Assert.Equal(8, HmmPte.DriverBits);
    }

    [Fact]
    public void FlagEditsKeepTheTarget()
    {
        var pte = HmmPte.FromPfn(new Pfn(7), write: true).WithDirty(true).WithDriverFlags(0xa5);

        Assert.True(pte.IsDirty);
        Assert.Equal(0xa5u, pte.DriverFlags);
        Assert.Equal(new Pfn(7), pte.Pfn);

        var wp = pte.WithWrite(false).WithDirty(false).WithDriverFlags(0);
        Assert.False(wp.IsWrite);
        Assert.False(wp.IsDirty);
        Assert.Equal(0u, wp.DriverFlags);
        Assert.Equal(new Pfn(7), wp.Pfn);
        Assert.Equal(HmmPte.FromPfn(new Pfn(7)), wp);
    }

    [Fact]
    public void ValuesThatDoNotFitAreRejected()
    {
        Assert.Throws<ArgumentException>(() => HmmPte.FromDmaAddr(new DmaAddr(0x1001)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HmmPte.FromPfn(new Pfn(HmmPte.MaxPfn + 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HmmPte.FromPfn(new Pfn(1)).WithDriverFlags(0x100));
        Assert.Equal(new Pfn(HmmPte.MaxPfn), HmmPte.FromPfn(new Pfn(HmmPte.MaxPfn)).Pfn);
    }
}
