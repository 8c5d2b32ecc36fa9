using System.Text.Json;
using IommuSim.Actors.Sva;
using IommuSim.LoadTests;
using IommuSim.LoadTests.Seeds;
using Xunit;

using static IommuSim.LoadTests.Tests.ScenarioReport;

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// The SVA scenarios of the seeds family at tiny sizes: the JSON has exactly the specified fields,
/// the counts follow from the sizes (every pair bound and unbound, every page faulted once), and
/// the median is the middle run. No timing thresholds.
/// </summary>
public sealed class SeedsSvaBenchmarkTests
{
    [Fact]
    public void The_seeds_family_lists_the_sva_scenarios_with_their_quick_sizes()
    {
        Assert.Contains(SvaBindScenario.ScenarioName, SeedsBenchmark.ScenarioNames);
        Assert.Contains(IopfScenario.ScenarioName, SeedsBenchmark.ScenarioNames);
        Assert.Equal(SeedsBenchmark.ScenarioNames, SeedsBenchmark.Scenarios(quick: true).Select(s => s.Name));
        Assert.True(SvaBindScenario.Sizes.Quick.Pairs < SvaBindScenario.Sizes.Full.Pairs);
        Assert.True(IopfScenario.Sizes.Quick.Pages < IopfScenario.Sizes.Full.Pages);
    }

    [Fact]
    public void Sva_bind_reports_pairs_per_second_for_every_machine()
    {
        var sizes = SvaBindScenario.Sizes.Full with
        {
            Pairs = 64,
            Machines = [(1, 1, SvaDomainSharing.PerUnit), (2, 2, SvaDomainSharing.Shared)],
        };
        var results = ScenarioReport.Run(new SvaBindScenario(sizes));
        Assert.Equal([(1, "per-unit"), (4, "shared")], results.Select(r => (r.GetProperty("devices").GetInt32(), r.GetProperty("sharing").GetString())).ToArray());
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "units", "devices", "sharing", "pairs", "domains_allocated", "median_pairs_per_sec", "runs_pairs_per_sec");
            Assert.Equal(64, r.GetProperty("pairs").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_pairs_per_sec").GetDouble(), r.GetProperty("runs_pairs_per_sec"));
        }
        // A lone device makes and frees a domain on every pair.
        Assert.Equal(64, results[0].GetProperty("domains_allocated").GetInt64());
    }

    [Fact]
    public void Iopf_reports_faults_per_second_for_every_combination()
    {
        var sizes = IopfScenario.Sizes.Full with
        {
            Pages = 256,
            BurstPages = 64,
            Combinations = [(1, false, 1), (2, true, 4)],
        };
        var results = ScenarioReport.Run(new IopfScenario(sizes));
        Assert.Equal([(1, "read", 1), (2, "write", 4)],
            results.Select(r => (r.GetProperty("devices").GetInt32(), r.GetProperty("access").GetString(), r.GetProperty("group_pages").GetInt32())).ToArray());
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "devices", "access", "group_pages", "burst_pages", "window", "pages", "groups",
                "median_faults_per_sec", "median_groups_per_sec", "runs_faults_per_sec");
            Assert.Equal(256, r.GetProperty("pages").GetInt64());
            Assert.Equal(256 / r.GetProperty("group_pages").GetInt32(), r.GetProperty("groups").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_faults_per_sec").GetDouble(), r.GetProperty("runs_faults_per_sec"));
        }
    }
}
