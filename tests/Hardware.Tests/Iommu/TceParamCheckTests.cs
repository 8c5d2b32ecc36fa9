using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Iommu;

/// <summary>The seed's (2015) iommu_tce_put_param_check / iommu_tce_clear_param_check, which return -EINVAL.</summary>
public class TceParamCheckTests
{
    // Window: entries 0x800..0x8FF of 4 KiB pages, bus addresses 0x80_0000..0x8F_FFFF.
    private static readonly TceTable Table = new(0x800, 0x100);

    [Theory]
    [InlineData(0x80_0000UL, 0x1234_5000UL, Errno.None)]
    [InlineData(0x8F_F000UL, 0x1234_5000UL, Errno.None)]                                 // last entry
    [InlineData(0x80_0000UL, 0x1234_5000UL | TceTable.TcePciRead | TceTable.TcePciWrite, Errno.None)] // permission bits tolerated
    [InlineData(0x80_0000UL, 0x1234_5004UL, Errno.EINVAL)]                              // other low bits
    [InlineData(0x80_0800UL, 0x1234_5000UL, Errno.EINVAL)]                              // ioba not page aligned
    [InlineData(0x7F_F000UL, 0x1234_5000UL, Errno.EINVAL)]                              // below it_offset
    [InlineData(0x90_0000UL, 0x1234_5000UL, Errno.EINVAL)]                              // at it_offset + it_size
    public void PutParamCheck(ulong ioba, ulong tce, Errno expected) =>
        Assert.Equal(expected, Table.PutParamCheck(ioba, tce));

    [Theory]
    [InlineData(0x80_0000UL, 0UL, 0x100UL, Errno.None)]   // the whole window
    [InlineData(0x8F_F000UL, 0UL, 1UL, Errno.None)]
    [InlineData(0x90_0000UL, 0UL, 0UL, Errno.None)]       // (ioba + 0) > end is false: the kernel's arithmetic
    [InlineData(0x80_0000UL, 1UL, 1UL, Errno.EINVAL)]     // clear supports only value 0
    [InlineData(0x80_0010UL, 0UL, 1UL, Errno.EINVAL)]
    [InlineData(0x7F_F000UL, 0UL, 1UL, Errno.EINVAL)]
    [InlineData(0x8F_F000UL, 0UL, 2UL, Errno.EINVAL)]     // runs past the end: today's check_ioba would let it pass
    [InlineData(0x80_0000UL, 0UL, ulong.MaxValue, Errno.EINVAL)]
    public void ClearParamCheck(ulong ioba, ulong tceValue, ulong npages, Errno expected) =>
        Assert.Equal(expected, Table.ClearParamCheck(ioba, tceValue, npages));

    [Fact]
    public void Checks_use_the_tables_iommu_page_size()
    {
        var table = new TceTable(0, 0x100, pageShift: 16);
        Assert.Equal(~0xFFFFUL, table.PageMask);
        Assert.Equal(Errno.EINVAL, table.PutParamCheck(0x1000, 0x1_0000));
        Assert.Equal(Errno.EINVAL, table.PutParamCheck(0x1_0000, 0x1_1000));
        Assert.Equal(Errno.None, table.PutParamCheck(0xFF_0000, 0x1_0000));
        Assert.Equal(Errno.EINVAL, table.PutParamCheck(0x100_0000, 0x1_0000));
    }
}
