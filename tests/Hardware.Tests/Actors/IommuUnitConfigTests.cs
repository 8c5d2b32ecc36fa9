using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>Units from HOCON: values, presets, and errors that name file, line and column.</summary>
public sealed class IommuUnitConfigTests
{
    [Fact]
    public void A_units_section_gives_each_unit_its_capabilities()
    {
        var units = IommuUnitConfigReader.ParseUnits("""
            units {
              smmu0 {
                preset = arm-smmu-v3
                format = arm64-lpae-s1, page-sizes = [4KiB, 2MiB, 1GiB]
                iotlb-entries = 1024, iotlb-ways = 8, micro-tlb-entries = 16
                invalidation-queue-depth = 64, pasid-bits = 16, sva = on, page-requests = off, dirty-tracking = on
                fault-queue-depth = 32
                cost { walk-level-ns = 120 }
              }
              vtd0 { page-sizes = [4K, 2M], input-address-bits = 39, sva = off, drop-device-tlb-invalidation = on }
            }
            """);
        Assert.Equal(["smmu0", "vtd0"], units.Select(u => u.Name));
        var smmu = units[0].Capabilities;
        Assert.Equal((IoPageTableFormats.Arm64LpaeS1, PageSizeBitmap.Radix4K, 48, 48), (smmu.PageTableFormat, smmu.PageSizes, smmu.InputAddressBits, smmu.OutputAddressBits));
        Assert.Equal((1024, 8, 16, 64, 16, true, false, true), (smmu.IotlbEntries, smmu.IotlbWays, smmu.MicroTlbEntries, smmu.InvalidationQueueDepth, smmu.PasidBits, smmu.Sva, smmu.PageRequests, smmu.DirtyTracking));
        Assert.Equal((32, 120.0, false), (units[0].FaultQueueDepth, units[0].Costs.WalkLevelNs, units[0].DropDeviceTlbInvalidation));
        var vtd = units[1];
        Assert.Equal((IoPageTableFormats.X86_64, PageSizeBitmap.Size4K | PageSizeBitmap.Size2M, 39, true),
            (vtd.Capabilities.PageTableFormat, vtd.Capabilities.PageSizes, vtd.Capabilities.InputAddressBits, vtd.DropDeviceTlbInvalidation));
    }

    [Theory]
    [InlineData("units {\n  u0 {\n    page-sizes = [4KiB, 3KiB]\n  }\n}", "units.conf:3:25", "'3KiB' is not a page size")]
    [InlineData("units {\n  u0 { format = sparc }\n}", "units.conf:2:17", "unknown page-table format 'sparc'")]
    [InlineData("units {\n  u0 {\n    iotlb-entrys = 4\n  }\n}", "units.conf:3:20", "unknown setting 'iotlb-entrys'")]
    [InlineData("units {\n  u0 {\n    input-address-bits = 40\n  }\n}", "units.conf:2:6", "x86_64 tables have 3, 4 or 5 levels")]
    [InlineData("units {\n  u0 { iotlb-entries = many }\n}", "units.conf:2:24", "expected a number")]
    [InlineData("units {\n  u0 { preset = sparc-iommu }\n}", "units.conf:2:17", "unknown preset")]
    public void Errors_name_the_file_line_and_column_of_the_offending_value(string hocon, string position, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => IommuUnitConfigReader.ParseUnits(hocon, "units.conf"));
        Assert.Equal(position, e.Position?.ToString());
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_size_is_parsed_in_binary_units()
    {
        Assert.True(IommuUnitConfigReader.TryParseSize("64KiB", out var size));
        Assert.Equal(65536UL, size);
        Assert.True(PageSize.TryFromBytes(size, out _));
        Assert.False(IommuUnitConfigReader.TryParseSize("2 parsecs", out _));
    }
}
