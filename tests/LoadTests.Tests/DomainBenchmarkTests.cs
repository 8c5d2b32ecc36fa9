using System.Text.Json;
using IommuSim.LoadTests;
using IommuSim.LoadTests.Domain;
using Xunit;

using static IommuSim.LoadTests.Tests.ScenarioReport;

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// The <c>faults</c> and <c>munmap</c> scenarios of the domain family at tiny sizes: the JSON has
/// exactly the specified fields, the counts follow from the settings, and the median is the middle
/// run. No timing thresholds.
/// </summary>
public sealed class DomainBenchmarkTests
{
    private static readonly DomainSettings Tiny = DomainSettings.Full with
    {
        FaultPages = 4096,
        FaultMms = [1, 2],
        MunmapBytes = 4UL << 20,
        MunmapHmmDomains = 2,
        MunmapMirrorsPerDomain = 2,
    };

    private static JsonElement[] RunScenario(string name) =>
        ScenarioReport.Run(DomainBenchmark.Scenarios(Tiny).Single(s => s.Name == name));

    [Fact]
    public void The_domain_family_lists_the_fault_and_munmap_scenarios()
    {
        Assert.Equal(["translations", "hmmpt", "faults", "munmap"], DomainBenchmark.ScenarioNames);
        Assert.Equal(DomainBenchmark.ScenarioNames, DomainBenchmark.Scenarios(Tiny).Select(s => s.Name));
    }

    [Fact]
    public void Faults_reports_pages_per_second_for_every_access_and_mm_count()
    {
        var results = RunScenario("faults");
        Assert.Equal([("read", 1), ("read", 2), ("write", 1), ("write", 2)],
            results.Select(r => (r.GetProperty("access").GetString(), r.GetProperty("mms").GetInt32())).ToArray());
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "mms", "access", "batch_pages", "window", "pages", "range_faults", "retries",
                "median_pages_per_sec", "runs_pages_per_sec");
            Assert.Equal(512, r.GetProperty("batch_pages").GetInt32());
            Assert.Equal(4096, r.GetProperty("pages").GetInt64());
            // One RangeFault per 512-page command (one leaf directory each), no collision to retry.
            Assert.Equal(8, r.GetProperty("range_faults").GetInt64());
            Assert.Equal(0, r.GetProperty("retries").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_pages_per_sec").GetDouble(), r.GetProperty("runs_pages_per_sec"));
        }
    }

    [Fact]
    public void Munmap_reports_the_wall_time_of_one_munmap_through_every_hmm_domain()
    {
        var r = Assert.Single(RunScenario("munmap"));
        AssertFields(r, "scenario", "bytes", "pages", "mirrors", "hmm_domains", "iommu_pages_unmapped", "iotlb_syncs", "median_ms", "runs_ms");
        Assert.Equal(4UL << 20, r.GetProperty("bytes").GetUInt64());
        Assert.Equal(1024, r.GetProperty("pages").GetInt64());
        Assert.Equal((4, 2), (r.GetProperty("mirrors").GetInt32(), r.GetProperty("hmm_domains").GetInt32()));
        // Each HMM domain mapped every page once in its IOMMU domain, and unmapped them with one sync.
        Assert.Equal(2 * 1024, r.GetProperty("iommu_pages_unmapped").GetInt64());
        Assert.Equal(2, r.GetProperty("iotlb_syncs").GetInt64());
        AssertRunsAndMedian(r.GetProperty("median_ms").GetDouble(), r.GetProperty("runs_ms"));
    }
}
