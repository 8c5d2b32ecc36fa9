using IommuSim.Actors.Sva;
using IommuSim.Hardware.Iommu;
using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>The <c>iommusim.sva</c> section: akka.hocon's defaults are the code's, overrides apply, mistakes name their place.</summary>
public sealed class SvaSettingsTests
{
    [Fact]
    public void The_embedded_defaults_are_the_options_defaults()
    {
        var (sva, iopf) = SvaSettings.Read(Config.Empty);
        Assert.Equal(SvaOptions.Default, sva);
        Assert.Equal(IopfOptions.Default, iopf);
    }

    [Fact]
    public void A_scenario_overrides_the_sharing_the_pasid_range_and_the_page_request_queue()
    {
        var (sva, iopf) = SvaSettings.Parse("""
            iommusim.sva {
              domain-sharing = shared
              pasid-min = 16, pasid-max = 31
              skip-pasid-invalidation = on
              iopf { queue-depth = 8, group-pages = 4, skip-flush-on-detach = on }
            }
            """);
        Assert.Equal(SvaOptions.Default with { DomainSharing = SvaDomainSharing.Shared, PasidMin = 16, PasidMax = 31, SkipPasidInvalidation = true }, sva);
        Assert.Equal(new IopfOptions { QueueDepth = 8, GroupPages = 4, SkipFlushOnDetach = true }, iopf);
    }

    [Theory]
    [InlineData("iommusim.sva.domain-sharing = everywhere", "domain-sharing must be per-unit or shared")]
    [InlineData("iommusim.sva.pasid-lo = 3", "unknown setting 'pasid-lo'")]
    [InlineData("iommusim.sva { pasid-min = 9, pasid-max = 8 }", "pasid-max 8 is below pasid-min 9")]
    [InlineData("iommusim.sva.pasid-min = 0", "PASID 0 is IOMMU_NO_PASID")]
    [InlineData("iommusim.sva.pasid-max = 1048576", "does not fit the 20-bit PCIe PASID")]
    [InlineData("iommusim.sva.iopf.group-pages = 0", "a page request group asks for 1..512 pages")]
    [InlineData("iommusim.sva.iopf.depth = 0", "unknown setting 'depth'")]
    public void A_bad_setting_is_a_config_error_that_says_what_is_wrong(string hocon, string message)
    {
        var e = Assert.Throws<ConfigException>(() => SvaSettings.Parse(hocon, "scenario.conf"));
        Assert.Contains(message, e.Message);
    }
}
