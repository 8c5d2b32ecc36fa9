using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class DevicePoolTests
{
    [Fact]
    public void DevicePoolHasItsOwnPfnRangeAndOwner()
    {
        var mem = new PhysicalMemory(1UL << 30);
        var gpu = mem.AddDevicePool("gpu0", 64UL << 20);

        Assert.Equal(MemoryKind.DevicePrivate, gpu.Kind);
        Assert.Equal("gpu0", gpu.Owner);
        Assert.True(gpu.BasePfn.Value >= mem.SystemRam.EndPfn.Value);
        Assert.Equal(0UL, gpu.BasePfn.Value % (1UL << (30 - 12)));
        Assert.Equal((64UL << 20) >> 12, gpu.Frames);

        Assert.Equal(Errno.None, gpu.AllocPage(out var dpfn));
        Assert.Equal(Errno.None, mem.AllocPage(out var rpfn));

        Assert.Same(gpu, mem.PoolOf(dpfn));
        Assert.Same(mem.SystemRam, mem.PoolOf(rpfn));
        Assert.Equal("gpu0", mem.OwnerOf(dpfn));
        Assert.Equal(PhysicalMemory.SystemRamOwner, mem.OwnerOf(rpfn));
        Assert.True(mem.IsDevicePrivate(dpfn));
        Assert.False(mem.IsDevicePrivate(rpfn));
        Assert.Null(mem.OwnerOf(new Pfn(gpu.EndPfn.Value)));
    }

    [Fact]
    public void PoolsOfSeveralDevicesDoNotOverlap()
    {
        var mem = new PhysicalMemory(1UL << 30);
        var a = mem.AddDevicePool("gpu0", 3UL << 30);
        var b = mem.AddDevicePool("gpu1", 1UL << 20);

        Assert.True(b.BasePfn.Value >= a.EndPfn.Value);
        Assert.Equal(2, mem.DevicePools.Count);
        b.AllocPage(out var p);
        Assert.Equal("gpu1", mem.OwnerOf(p));
    }

    [Fact]
    public void DuplicateOwnerIsRejected()
    {
        var mem = new PhysicalMemory(1UL << 20);
        mem.AddDevicePool("gpu0", 1UL << 20);

        Assert.Throws<ArgumentException>(() => mem.AddDevicePool("gpu0", 1UL << 20));
        Assert.Throws<ArgumentException>(() => mem.AddDevicePool(PhysicalMemory.SystemRamOwner, 1UL << 20));
    }

    [Fact]
    public void DevicePoolRunsOutIndependentlyOfRam()
    {
        var mem = new PhysicalMemory(1UL << 20);
        var gpu = mem.AddDevicePool("gpu0", 2 * 4096);
        gpu.AllocPage(out _);
        gpu.AllocPage(out _);

        Assert.Equal(Errno.ENOMEM, gpu.AllocPage(out _));
        Assert.Equal(Errno.None, mem.AllocPage(out _));
        Assert.Equal(1, gpu.Counters.AllocFailures);
        Assert.Equal(0, mem.SystemRam.Counters.AllocFailures);
        Assert.Equal(3, mem.Counters.Live);
    }

    [Fact]
    public void MigrationToDeviceAndBackKeepsTheData()
    {
        // What dmirror_migrate_to_device / dmirror_devmem_fault do with the page contents.
        var mem = new PhysicalMemory(1UL << 20);
        var gpu = mem.AddDevicePool("gpu0", 1UL << 20);
        mem.AllocPage(out var ram);
        mem.WritePage(ram, 0x5eed);

        gpu.AllocPage(out var dev);
        Assert.Equal(Errno.None, mem.CopyPage(dev, ram));
        mem.PutPage(ram);
        mem.WritePage(dev, 0x5eed + 1); // the device works on it

        mem.AllocPage(out var back);
        Assert.Equal(Errno.None, mem.CopyPage(back, dev));
        Assert.Equal(Errno.None, mem.PutPage(dev));

        mem.ReadPage(back, out var value);
        Assert.Equal(0x5eedUL + 1, value);
        Assert.Equal(0, gpu.Counters.Live);
        Assert.Equal(1, mem.SystemRam.Counters.Live);
        Assert.Equal(Errno.EFAULT, mem.ReadPage(dev, out _));
        Assert.Equal(1, gpu.Counters.UseAfterFree);
    }
}
