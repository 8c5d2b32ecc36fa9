using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Iommu;

public class IommuUnitCapabilitiesTests
{
    private static readonly IommuUnitCapabilities X86 = IommuUnitCapabilities.IntelVtd;

    public static TheoryData<IommuUnitCapabilities> Presets() =>
        [IommuUnitCapabilities.IntelVtd, IommuUnitCapabilities.ArmSmmuV3, IommuUnitCapabilities.PowerPhb, new IommuUnitCapabilities()];

    [Theory]
    [MemberData(nameof(Presets))]
    public void Presets_are_valid(IommuUnitCapabilities caps)
    {
        Assert.Equal(Errno.None, caps.Validate(out var message));
        Assert.Equal(string.Empty, message);
    }

    public static TheoryData<IommuUnitCapabilities, Errno, string> Impossible() => new()
    {
        { X86 with { PageTableFormat = "riscv_sv48" }, Errno.EINVAL, "unknown page-table format" },
        { X86 with { PageSizes = 0 }, Errno.EINVAL, "no page size" },
        { X86 with { PageSizes = PageSizeBitmap.Size2M }, Errno.EINVAL, "4 KiB granule" },
        { X86 with { PageSizes = PageSizeBitmap.Size4K | (1UL << 16) }, Errno.EINVAL, "4 KiB granule" },
        { X86 with { InputAddressBits = 40, Sva = false }, Errno.EINVAL, "3, 4 or 5 levels" },
        { IommuUnitCapabilities.ArmSmmuV3 with { InputAddressBits = 52 }, Errno.EINVAL, "LPAE input width" },
        { IommuUnitCapabilities.ArmSmmuV3 with { OutputAddressBits = 52 }, Errno.EINVAL, "output address width" },
        { X86 with { OutputAddressBits = 20 }, Errno.EINVAL, "output address width" },
        { X86 with { PageTableFormat = IoPageTableFormats.AmdIommuV1, InputAddressBits = 30, Sva = false }, Errno.EINVAL, "does not fit a 30-bit" },
        { X86 with { PasidBits = 21 }, Errno.EINVAL, "0..20" },
        { X86 with { PasidBits = 0 }, Errno.EINVAL, "no PASID bits" },
        { X86 with { PageTableFormat = IoPageTableFormats.Arm64LpaeS2, OutputAddressBits = 48 }, Errno.EOPNOTSUPP, "SVA walks the CPU" },
        { X86 with { PageTableFormat = IoPageTableFormats.X86_64, InputAddressBits = 39 }, Errno.EINVAL, "CPU virtual addresses" },
        { IommuUnitCapabilities.PowerPhb with { PasidBits = 8 }, Errno.EOPNOTSUPP, "PASID" },
        { IommuUnitCapabilities.PowerPhb with { PageRequests = true }, Errno.EOPNOTSUPP, "page requests" },
        { IommuUnitCapabilities.PowerPhb with { DirtyTracking = true }, Errno.EOPNOTSUPP, "dirty bit" },
        { IommuUnitCapabilities.PowerPhb with { PageSizes = 1UL << 13 }, Errno.EINVAL, "TCE tables use" },
        { X86 with { IotlbEntries = 2048, IotlbWays = 3 }, Errno.EINVAL, "power-of-two number of sets" },
        { X86 with { IotlbEntries = 24, IotlbWays = 4 }, Errno.EINVAL, "power-of-two number of sets" },
        { X86 with { MicroTlbEntries = -1 }, Errno.EINVAL, "negative" },
        { X86 with { InvalidationQueueDepth = 1 }, Errno.EINVAL, "queue depth" },
        { X86 with { InvalidationQueueDepth = 100 }, Errno.EINVAL, "queue depth" },
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public void Impossible_combinations_are_refused_with_a_reason(IommuUnitCapabilities caps, Errno errno, string reason)
    {
        Assert.Equal(errno, caps.Validate(out var message));
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_unit_builds_its_structures_from_the_capabilities()
    {
        var caps = X86 with { InputAddressBits = 57, IotlbEntries = 512, IotlbWays = 8, MicroTlbEntries = 16, InvalidationQueueDepth = 64, DirtyTracking = false };
        var table = caps.CreatePageTable(freeEmptyDirectories: false);
        var iotlb = caps.CreateIotlb();
        var micro = caps.CreateMicroTlb();
        var queue = caps.CreateInvalidationQueue(iotlb);

        Assert.Equal((5, false, false), (table.Levels, table.FreeEmptyDirectories, table.DirtyTrackingSupported));
        Assert.Equal((512, 8, 64), (iotlb.Entries, iotlb.Ways, iotlb.Sets));
        Assert.Equal(16, micro!.Entries);
        Assert.Equal(64, queue.Depth);
        Assert.Same(iotlb, Assert.Single(queue.Caches));
        Assert.Null((X86 with { MicroTlbEntries = 0 }).CreateMicroTlb());
    }

    [Fact]
    public void Invalid_or_tce_capabilities_build_no_page_table()
    {
        Assert.Throws<InvalidOperationException>(() => IommuUnitCapabilities.PowerPhb.CreatePageTable());
        Assert.Throws<InvalidOperationException>(() => (X86 with { PasidBits = 0 }).CreateIotlb());
    }
}
