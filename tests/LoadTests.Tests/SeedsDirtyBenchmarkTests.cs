using System.Text.Json;
using IommuSim.LoadTests;
using IommuSim.LoadTests.Seeds;
using IommuSim.Messages;
using Xunit;

using static IommuSim.LoadTests.Tests.ScenarioReport;

namespace IommuSim.LoadTests.Tests;

/// <summary>
/// The dirty-scan and live migration scenarios of the seeds family at tiny sizes: the JSON has
/// exactly the specified fields, the counts follow from the settings (chunks, dirty leaves, pages
/// copied, equal memory), and the median is the middle run. No timing thresholds.
/// </summary>
public sealed class SeedsDirtyBenchmarkTests
{
    [Fact]
    public void The_seeds_family_lists_the_dirty_scan_and_migration_scenarios()
    {
        Assert.Contains(DirtyScanScenario.ScenarioName, SeedsBenchmark.ScenarioNames);
        Assert.Contains(LiveMigrationScenario.ScenarioName, SeedsBenchmark.ScenarioNames);
        Assert.Equal(SeedsBenchmark.ScenarioNames, SeedsBenchmark.Scenarios(quick: true).Select(s => s.Name));
    }

    [Fact]
    public void Dirty_scan_reports_pages_per_second_next_to_both_raw_scans_for_each_leaf_size()
    {
        var settings = new DirtyScanSettings(128UL << 30, [PageSize.Size2M, PageSize.Size1G], 0.01, 1, new MeasureSettings(0, 3));
        var results = ScenarioReport.Run(new DirtyScanScenario(settings));
        Assert.Equal([1UL << 21, 1UL << 30], results.Select(r => r.GetProperty("leaf_bytes").GetUInt64()));
        foreach (var r in results)
        {
            AssertFields(r, "scenario", "iova_bytes", "leaf_bytes", "leaves", "dirty_leaves", "pages", "bitmap_page_bytes", "chunks",
                "median_pages_per_sec", "raw_bitmap_median_pages_per_sec", "ratio_to_raw_bitmap", "raw_ptes_median_pages_per_sec", "ratio_to_raw_ptes",
                "runs_pages_per_sec", "raw_bitmap_runs_pages_per_sec", "raw_ptes_runs_pages_per_sec");
            Assert.Equal(32L << 20, r.GetProperty("pages").GetInt64());
            // 128 GiB at 4 KiB pages is two chunks of 2^24 bitmap bits.
            Assert.Equal(2, r.GetProperty("chunks").GetInt64());
            Assert.Equal(Math.Max(1, r.GetProperty("leaves").GetInt64() / 100), r.GetProperty("dirty_leaves").GetInt64());
            AssertRunsAndMedian(r.GetProperty("median_pages_per_sec").GetDouble(), r.GetProperty("runs_pages_per_sec"));
            AssertRunsAndMedian(r.GetProperty("raw_bitmap_median_pages_per_sec").GetDouble(), r.GetProperty("raw_bitmap_runs_pages_per_sec"));
        }
    }

    [Fact]
    public void Migration_reports_rounds_and_simulated_time_and_ends_with_equal_memory()
    {
        var quick = LiveMigrationSettings.Quick;
        var settings = quick with { Vm = quick.Vm with { GuestBytes = 16UL << 20, ThresholdPages = 64 } };
        var r = Assert.Single(ScenarioReport.Run(new LiveMigrationScenario(settings)));
        AssertFields(r, "scenario", "guest_bytes", "pages", "leaf_bytes", "devices", "write_pages_per_sec", "copy_ns_per_page", "threshold_pages",
            "max_rounds", "converged", "rounds", "simulated_seconds", "downtime_ms", "final_dirty_pages", "pages_copied", "mismatched_pages",
            "deliveries", "wall_seconds", "round_detail");
        Assert.True(r.GetProperty("converged").GetBoolean());
        Assert.Equal(0, r.GetProperty("mismatched_pages").GetInt64());
        var rounds = r.GetProperty("round_detail").EnumerateArray().ToArray();
        Assert.Equal(r.GetProperty("rounds").GetInt32(), rounds.Length);
        Assert.Equal(4096, rounds[0].GetProperty("dirty_pages").GetInt64());
        // Everything once, each later round's dirty set, and the stop-and-copy.
        Assert.Equal(rounds.Sum(x => x.GetProperty("dirty_pages").GetInt64()) + r.GetProperty("final_dirty_pages").GetInt64(),
            r.GetProperty("pages_copied").GetInt64());
        Assert.True(r.GetProperty("simulated_seconds").GetDouble() > 0);
    }
}
