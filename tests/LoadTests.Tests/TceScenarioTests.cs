using IommuSim.LoadTests.Seeds;
using Xunit;

using static IommuSim.LoadTests.Tests.ScenarioReport;

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// The <c>tce</c> scenario of the seeds family at tiny sizes: it is registered, its JSON has
/// exactly the specified fields, and the counts follow from the settings (every page mapped is
/// released, one kill per request). No timing thresholds.
/// </summary>
public sealed class TceScenarioTests
{
    private static readonly TceScenario.Settings Tiny = TceScenario.Settings.Full with
    {
        Exchanges = 10_000,
        WindowEntries = 1024,
        MapPages = 2048,
        BatchPages = [16, 512],
        Containers = [1, 2],
        BufferPages = 1024,
    };

    [Fact]
    public void The_seeds_family_lists_the_tce_scenario()
    {
        Assert.Contains(TceScenario.ScenarioName, SeedsBenchmark.ScenarioNames);
        Assert.Contains(SeedsBenchmark.Scenarios(quick: true), s => s.Name == TceScenario.ScenarioName);
    }

    [Fact]
    public void Tce_reports_exchanges_per_second_and_map_unmap_pages_per_second()
    {
        var results = ScenarioReport.Run(new TceScenario(Tiny));
        Assert.Equal(["xchg_no_kill", "exchange", "map-unmap", "map-unmap", "map-unmap", "map-unmap"],
            results.Select(r => r.GetProperty("op").GetString()!).ToArray());
        foreach (var r in results.Take(2))
        {
            AssertFields(r, "scenario", "op", "window_entries", "exchanges", "median_exchanges_per_sec", "runs_exchanges_per_sec");
            Assert.Equal(10_000, r.GetProperty("exchanges").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_exchanges_per_sec").GetDouble(), r.GetProperty("runs_exchanges_per_sec"));
        }
        var maps = results.Skip(2).ToArray();
        Assert.Equal([(1, 16), (2, 16), (1, 512), (2, 512)],
            maps.Select(r => (r.GetProperty("containers").GetInt32(), r.GetProperty("batch_pages").GetInt32())).ToArray());
        foreach (var r in maps)
        {
            AssertFields(r, "scenario", "op", "containers", "batch_pages", "window", "pages", "kills", "pages_released", "pages_dirtied",
                "median_pages_per_sec", "runs_pages_per_sec");
            var pages = r.GetProperty("pages").GetInt64();
            var requests = pages / r.GetProperty("batch_pages").GetInt32();
            Assert.Equal(pages, r.GetProperty("pages_released").GetInt64());
            // One kill per MAP_DMA and one per UNMAP_DMA.
            Assert.Equal(2 * requests, r.GetProperty("kills").GetInt64());
            Assert.InRange(r.GetProperty("pages_dirtied").GetInt64(), 1, pages - 1);
            AssertRunsAndMedian(r.GetProperty("median_pages_per_sec").GetDouble(), r.GetProperty("runs_pages_per_sec"));
        }
    }
}
