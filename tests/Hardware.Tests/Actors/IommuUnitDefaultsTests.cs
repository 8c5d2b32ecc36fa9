using IommuSim.Hardware.Iommu;
using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>Unit defaults and presets come from iommusim.iommu in the embedded akka.hocon; a scenario overrides them.</summary>
public sealed class IommuUnitDefaultsTests
{
    private static Config Embedded => ConfigurationFactory.Default();

    [Fact]
    public void The_defaults_are_in_the_embedded_file()
    {
        var defaults = Embedded.GetConfig(IommuUnitConfigReader.SettingsPath + ".defaults");
        Assert.Equal((2048, 4, 32, 256), (defaults.GetInt("iotlb-entries"), defaults.GetInt("iotlb-ways"),
            defaults.GetInt("micro-tlb-entries"), defaults.GetInt("invalidation-queue-depth")));
        Assert.Equal("akka.hocon", Embedded.PositionOf("iommusim.iommu.defaults.iotlb-entries")?.File);
        Assert.True(Embedded.GetConfig("iommusim.iommu.units").IsEmpty);
    }

    [Fact]
    public void A_unit_that_sets_nothing_gets_every_value_of_the_embedded_defaults()
    {
        var unit = Assert.Single(IommuUnitConfigReader.ParseUnits("units { u0 {} }"));

        var d = Embedded.GetConfig("iommusim.iommu.defaults");
        var caps = unit.Capabilities;
        Assert.Equal(IoPageTableFormats.X86_64, caps.PageTableFormat);
        Assert.Equal(PageSizeBitmap.Radix4K, caps.PageSizes);
        Assert.Equal(
            (d.GetInt("input-address-bits"), d.GetInt("output-address-bits"), d.GetInt("pasid-bits"), d.GetBoolean("sva"),
                d.GetBoolean("page-requests"), d.GetBoolean("dirty-tracking")),
            (caps.InputAddressBits, caps.OutputAddressBits, caps.PasidBits, caps.Sva, caps.PageRequests, caps.DirtyTracking));
        Assert.Equal(
            (d.GetInt("iotlb-entries"), d.GetInt("iotlb-ways"), d.GetInt("micro-tlb-entries"), d.GetInt("invalidation-queue-depth")),
            (caps.IotlbEntries, caps.IotlbWays, caps.MicroTlbEntries, caps.InvalidationQueueDepth));
        Assert.Equal(
            (d.GetInt("fault-queue-depth"), d.GetInt("walk-batch-pages"), d.GetBoolean("drop-device-tlb-invalidation")),
            (unit.FaultQueueDepth, unit.WalkBatchPages, unit.DropDeviceTlbInvalidation));
        Assert.Equal(d.GetNanoseconds("cost.walk-level-ns"), unit.Costs.WalkLevelNs);
        Assert.Equal(d.GetNanoseconds("cost.sync-ns"), unit.Costs.SyncNs);
    }

    [Fact]
    public void The_cost_defaults_are_sim_cost_so_a_scenario_that_changes_sim_cost_changes_its_units()
    {
        var sim = Embedded.GetConfig("sim.cost");
        var unit = Assert.Single(IommuUnitConfigReader.ParseUnits("units { u0 {} }"));
        Assert.Equal((sim.GetNanoseconds("iotlb-hit"), sim.GetNanoseconds("walk-level"), sim.GetNanoseconds("memory-access")),
            (unit.Costs.IotlbHitNs, unit.Costs.WalkLevelNs, unit.Costs.MemoryAccessNs));

        var units = IommuUnitConfigReader.ParseUnits("""
            sim.cost { walk-level = 0.25us, sync = 2us }
            units { u0 {}, u1 { cost { sync-ns = 7, iotlb-hit-ns = 3ns, invalidation-ns = "40" } } }
            """);
        Assert.Equal((250.0, 2000.0), (units[0].Costs.WalkLevelNs, units[0].Costs.SyncNs));
        // A unit's own number is nanoseconds (quoted or not); a duration works too.
        Assert.Equal((250.0, 7.0, 3.0, 40.0), (units[1].Costs.WalkLevelNs, units[1].Costs.SyncNs, units[1].Costs.IotlbHitNs, units[1].Costs.InvalidationNs));
    }

    public static TheoryData<string, IommuUnitCapabilities> Presets() => new()
    {
        { "intel-vtd", IommuUnitCapabilities.IntelVtd },
        { "arm-smmu-v3", IommuUnitCapabilities.ArmSmmuV3 },
        { "power-phb", IommuUnitCapabilities.PowerPhb },
    };

    [Theory]
    [MemberData(nameof(Presets))]
    public void The_file_presets_are_the_code_presets(string preset, IommuUnitCapabilities expected)
    {
        var unit = Assert.Single(IommuUnitConfigReader.ParseUnits($"units {{ u0 {{ preset = {preset} }} }}"));
        Assert.Equal(expected, unit.Capabilities);
        Assert.Equal(IommuUnitCosts.Default, unit.Costs);
        Assert.Equal((128, 512, false), (unit.FaultQueueDepth, unit.WalkBatchPages, unit.DropDeviceTlbInvalidation));
    }

    [Fact]
    public void A_scenario_overrides_defaults_and_presets_and_a_unit_overrides_both()
    {
        var units = IommuUnitConfigReader.ParseUnits("""
            iommusim.iommu {
              defaults { micro-tlb-entries = 8, iotlb-entries = 4096, cost { walk-level-ns = 200 } }
              presets.arm-smmu-v3 { output-address-bits = 44 }
            }
            units {
              plain {}
              smmu { preset = arm-smmu-v3 }
              tuned { preset = arm-smmu-v3, output-address-bits = 40, micro-tlb-entries = 0, cost { sync-ns = 1 } }
            }
            """);

        Assert.Equal([(8, 4096, 52), (8, 4096, 44), (0, 4096, 40)],
            units.Select(u => (u.Capabilities.MicroTlbEntries, u.Capabilities.IotlbEntries, u.Capabilities.OutputAddressBits)));
        Assert.Equal(IoPageTableFormats.Arm64LpaeS1, units[2].Capabilities.PageTableFormat);
        // Cost objects merge key by key: the unit's sync-ns over the scenario's walk-level-ns over the file's.
        Assert.Equal((200.0, 1.0, IommuUnitCosts.Default.IotlbHitNs), (units[2].Costs.WalkLevelNs, units[2].Costs.SyncNs, units[2].Costs.IotlbHitNs));
    }

    [Fact]
    public void A_scenario_file_loaded_over_the_defaults_lists_its_units_in_the_default_section()
    {
        var path = Path.Combine(Path.GetTempPath(), $"iommusim-units-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "iommusim.iommu.units {\n  vtd0 { iotlb-ways = 8 }\n  phb0 { preset = power-phb }\n}\n");
        try
        {
            var units = IommuUnitConfigReader.ReadUnits(ConfigurationFactory.Load(path));
            Assert.Equal(["vtd0", "phb0"], units.Select(u => u.Name));
            Assert.Equal((2048, 8, 32), (units[0].Capabilities.IotlbEntries, units[0].Capabilities.IotlbWays, units[0].Capabilities.MicroTlbEntries));
            Assert.Equal(IommuUnitCapabilities.PowerPhb, units[1].Capabilities);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("iommusim.iommu.defaults {\n  iotlb-ways = lots\n}\nunits { u0 {} }", "scenario.conf:2:16", "expected a number")]
    [InlineData("iommusim.iommu.defaults {\n  iotlb-wayz = 2\n}\nunits { u0 {} }", "scenario.conf:2:16", "unknown setting 'iotlb-wayz'")]
    [InlineData("iommusim.iommu.presets.power-phb {\n  page-sizes = [4KiB, 48KiB]\n}\nunits { u0 { preset = power-phb } }", "scenario.conf:2:23", "'48KiB' is not a page size")]
    [InlineData("iommusim.iommu.defaults.cost {\n  sync-ns = -5\n}\nunits { u0 {} }", "scenario.conf:2:13", "must be a non-negative number")]
    [InlineData("iommusim.iommu.defaults.fault-queue-depth = 0\nunits { u0 {} }", "scenario.conf:1:45", "fault-queue-depth must be at least 1")]
    public void A_bad_overridden_default_reports_where_it_was_written(string hocon, string position, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => IommuUnitConfigReader.ParseUnits(hocon, "scenario.conf"));
        Assert.Equal(position, e.Position?.ToString());
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_preset_lists_the_presets_of_the_file()
    {
        var e = Assert.Throws<ConfigException>(() => IommuUnitConfigReader.ParseUnits("units {\n  u0 { preset = amd-vi }\n}", "units.conf"));
        Assert.Equal("units.conf:2:17", e.Position?.ToString());
        Assert.Contains("known: intel-vtd, arm-smmu-v3, power-phb", e.Message, StringComparison.Ordinal);
    }
}
