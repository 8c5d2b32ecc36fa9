using IommuSim.Messages;
using Xunit;

namespace IommuSim.Messages.Tests;

public sealed class ValueTypeTests
{
    [Theory]
    [InlineData("EINVAL", Errno.EINVAL)]
    [InlineData("-EFAULT", Errno.EFAULT)]
    [InlineData("22", Errno.EINVAL)]
    [InlineData(" EOVERFLOW ", Errno.EOVERFLOW)]
    public void Errno_parses_names_negated_names_and_numbers(string text, Errno expected)
    {
        Assert.True(ErrnoExtensions.TryParse(text, out var e));
        Assert.Equal(expected, e);
    }

    [Theory]
    [InlineData("EWHAT")]
    [InlineData("einval")]
    [InlineData("9999")]
    [InlineData("")]
    public void Errno_rejects_unknown_text(string text) => Assert.False(ErrnoExtensions.TryParse(text, out _));

    [Fact]
    public void Errno_values_are_the_kernels()
    {
        Assert.Equal(1, (int)Errno.EPERM);
        Assert.Equal(14, (int)Errno.EFAULT);
        Assert.Equal(22, (int)Errno.EINVAL);
        Assert.Equal(75, (int)Errno.EOVERFLOW);
        Assert.Equal(95, (int)Errno.EOPNOTSUPP);
        Assert.Equal(98, (int)Errno.EADDRINUSE);
        Assert.Equal("EPERM (Operation not permitted)", Errno.EPERM.Describe());
    }

    [Fact]
    public void Page_sizes_align_and_count_base_pages()
    {
        Assert.Equal(4096UL, PageSize.Size4K.Bytes);
        Assert.Equal(512UL, PageSize.Size2M.BasePages);
        Assert.Equal(262144UL, PageSize.Size1G.BasePages);
        Assert.Equal(0x200000UL, PageSize.Size2M.AlignDown(0x3FFFFF));
        Assert.Equal(0x400000UL, PageSize.Size2M.AlignUp(0x200001));
        Assert.True(PageSize.Size4K.IsAligned(0x1000));
        Assert.False(PageSize.Size4K.IsAligned(0x1001));
        Assert.True(PageSize.TryFromBytes(65536, out var s64k));
        Assert.Equal(16, s64k.Shift);
        Assert.False(PageSize.TryFromBytes(3000, out _));
        Assert.False(PageSize.TryFromBytes(2048, out _));
        Assert.Equal("2MiB", PageSize.Size2M.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new PageSize(11));
    }

    [Fact]
    public void Dma_directions_say_who_may_write()
    {
        Assert.Equal(0, (int)DmaDirection.Bidirectional);
        Assert.Equal(3, (int)DmaDirection.None);
        Assert.True(DmaDirection.FromDevice.DeviceMayWrite());
        Assert.True(DmaDirection.Bidirectional.DeviceMayWrite());
        Assert.False(DmaDirection.ToDevice.DeviceMayWrite());
        Assert.False(DmaDirection.None.DeviceMayWrite());
        Assert.Equal("DMA_FROM_DEVICE", DmaDirection.FromDevice.KernelName());
    }

    [Fact]
    public void Ranges_detect_wrap_overlap_and_intersection()
    {
        Assert.False(AddressFormat.IsValidRange(0x1000, 0));
        Assert.False(AddressFormat.IsValidRange(ulong.MaxValue - 0xFFF, 0x2000));
        Assert.True(AddressFormat.IsValidRange(ulong.MaxValue - 0xFFF, 0x1000));
        var a = new AddressRange(0x1000, 0x5000);
        var b = new AddressRange(0x4000, 0x9000);
        Assert.True(a.Overlaps(b));
        Assert.Equal(new AddressRange(0x4000, 0x5000), a.Intersect(b));
        Assert.True(a.Intersect(new AddressRange(0x9000, 0xA000)).IsEmpty);
        Assert.Equal(4UL, a.Pages);
        Assert.Equal("[0x1000, 0x5000)", a.ToString());
        Assert.Equal(new Pfn(0x12), new VirtAddr(0x12345).PageNumber);
        Assert.Equal(0x345UL, new VirtAddr(0x12345).PageOffset);
        Assert.Equal(new PhysAddr(0x12000), new Pfn(0x12).ToPhys());
    }
}
