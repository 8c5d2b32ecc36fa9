using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Cost;
using IommuSim.Simulator.Explore;
using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>The iommufd steps (vms section, IOAS map/unmap/attach, dirty tracking, live-migrate), their metrics, cost and bug.</summary>
public sealed class IoasStepTests
{
    private const string Machine = """
        machine {
          memory = 32MiB
          units { iommu0 { preset = intel-vtd } }
          devices { dev0 { unit = iommu0 }, vf0 { unit = iommu0 } }
          iommu-domains {
            hwpt { devices = [dev0], dirty-tracking = true }
            plain { unit = iommu0 }
            mig { devices = [vf0], dirty-tracking = true }
          }
          vms {
            vm0 { memory = 128KiB, allowed-iovas = [[0x40000000, 0x7fffffff]], reserved-iovas = [[0x80000000, 0x8fffffff]], iommu-domains = [hwpt] }
            vm1 { memory = 1MiB, iommu-domains = [mig] }
          }
        }

        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ioas_steps_map_unmap_attach_and_read_dirty_bitmaps_with_the_kernels_errnos(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = ioas-map, vm = vm0, pages = 32, iova = 0x40000000, expect { iova = 0x40000000 } }
              { op = ioas-map, vm = vm0, pages = 1, iova = 0x40001000, expect { errno = EEXIST } }
              { op = ioas-map, vm = vm0, pages = 1, iova = 0x80000000, expect { errno = EINVAL } }
              { op = ioas-map, vm = vm0, offset = 128KiB, pages = 1, expect { errno = EFAULT } }
              { op = ioas-map, vm = vm0, offset = 4KiB, pages = 2, name = auto, expect { iova = { at-least = 0x40020000, at-most = 0x7fffe000 } } }
              { op = ioas-stats, vm = vm0, expect { areas = 2, domains = 1, pinned-pages = 34, mapped-bytes = 136KiB } }
              { op = ioas-unmap, vm = vm0, iova = auto, pages = 2, expect { unmapped = 8KiB } }
              { op = ioas-attach, vm = vm0, iommu-domain = plain }
              { op = ioas-attach, vm = vm0, iommu-domain = plain, expect { errno = [EEXIST, EINVAL] } }
              { op = set-dirty-tracking, vm = vm0, iommu-domain = plain, expect { errno = EOPNOTSUPP } }
              { op = ioas-detach, vm = vm0, iommu-domain = plain }
              { op = get-dirty-bitmap, vm = vm0, iommu-domain = hwpt, iova = 0x40000000, pages = 32, expect { errno = EINVAL } }
              { op = set-dirty-tracking, vm = vm0, iommu-domain = hwpt }
              { op = dma-write, device = dev0, iova = "0x40000000 + 3 pages", values = [1, 2] }
              { op = dma-write, device = dev0, iova = "0x40000000 + 31 pages", value = 3 }
              { op = get-dirty-bitmap, vm = vm0, iommu-domain = hwpt, iova = 0x40000000, pages = 32, no-clear = true, expect { dirty = [3, 4, 31] } }
              { op = get-dirty-bitmap, vm = vm0, iova = 0x40000000, pages = 32, name = bits, expect { dirty = [3, 4, 31], count = 3 } }
              { op = eval, value = "bits[2]", expect { value = 31 } }
              { op = get-dirty-bitmap, vm = vm0, iova = 0x40000000, pages = 32, expect { count = 0 } }
              { op = get-dirty-bitmap, vm = vm0, iova = 0x40000000, pages = 16, expect { errno = ENOENT } }
              { op = ioas-unmap, vm = vm0, all = true, expect { unmapped = 128KiB } }
              { op = ioas-unmap, vm = vm0, iova = 0x40000000, pages = 1, expect { errno = ENOENT } }
            ]
            """, deterministic);
        // 21 errnos (every step but eval) + 13 IOVAs, counters, bitmaps and the eval.
        Cli.AssertAllHeld(report, 34);
    }

    private const string Migration = Machine + """
        steps = [
          { op = ioas-map, vm = vm1, length = 1MiB, iova = 0x100000000 }
          { op = live-migrate, vm = vm1, devices = [vf0], iova = 0x100000000, threshold = 16, burst-pages = 2, write-interval = 1ms,
            copy-ns-per-page = 40000, name = m, expect { converged = 1, mismatched-pages = 0, rounds = { at-least = 2, at-most = 10 } } }
          { op = ioas-stats, vm = vm1, expect { pinned-pages = 256 } }
        ]
        """;

    [Fact]
    public void Live_migrate_converges_to_equal_memory_and_reports_its_rounds_as_metrics_and_a_timeline()
    {
        var report = ScenarioRunner.Run(Cli.Parse(Migration), new RunSettings { Seed = 3, Deterministic = true, Metrics = true }).Report;
        Cli.AssertAllHeld(report, 7);
        var rounds = report.Metrics[MetricNames.MigrationRounds];
        Assert.True(rounds >= 2);
        Assert.Equal(1, report.Metrics[MetricNames.Migrations]);
        Assert.Equal(1, report.Metrics[MetricNames.MigrationsConverged]);
        Assert.True(report.Metrics[MetricNames.MigrationDowntimeNs] > 0);
        // Round 0 alone copies all 256 pages at 40 us each.
        Assert.True(report.Metrics[MetricNames.MigrationConvergenceNs] > 256 * 40_000);
        Assert.True(report.Metrics[MetricNames.MigrationPagesCopied] > 256);
        Assert.True(report.Metrics[MetricNames.MigrationDirtyPagesPerRound] > 0);
        var spans = report.Series.Timeline.Where(s => s.Kind == MigrationMetrics.TimelineKind).ToList();
        Assert.Equal((int)rounds, spans.Count);
        Assert.StartsWith("round 0: 256 dirty, 256 copied", spans[0].Detail);
    }

    [Fact]
    public void Live_migrate_replays_to_the_same_trace_hash()
    {
        var scenario = Cli.Parse(Migration);
        var a = ScenarioRunner.Run(scenario, new RunSettings { Seed = 9, Deterministic = true }).Report;
        var b = ScenarioRunner.Run(scenario, new RunSettings { Seed = 9, Deterministic = true }).Report;
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.TraceHash, b.TraceHash);
    }

    [Fact]
    public void Live_migrate_over_a_domain_without_dirty_tracking_fails_with_eopnotsupp_and_leaks_nothing()
    {
        var report = Cli.Run(Machine.Replace("mig { devices = [vf0], dirty-tracking = true }", "mig { devices = [vf0] }") + """
            steps = [
              { op = ioas-map, vm = vm1, length = 1MiB, iova = 0x100000000 }
              { op = live-migrate, vm = vm1, devices = [vf0], iova = 0x100000000, expect { errno = EOPNOTSUPP } }
            ]
            """);
        // The memory oracle's teardown check: the destination and guest RAM freed, every pin released.
        Cli.AssertAllHeld(report, 2);
    }

    [Fact]
    public void Bad_vms_and_ioas_steps_are_reported_with_what_was_expected()
    {
        var errors = Cli.Errors("""
            machine {
              units { iommu0 { preset = intel-vtd } }
              vms { vm0 { memory = 5000, contiguous = 8KiB, allowed-iovas = [[0x2000, 0x1000]], iommu-domains = [nodom] } }
            }
            steps = [
              { op = ioas-map, vm = vmx, pages = 1 }
              { op = live-migrate, vm = vm0, iova = 0 }
            ]
            """).Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains("'memory' must be a non-zero multiple of 4KiB", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'contiguous' must be 4KiB, 2MiB or 1GiB", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("START <= LAST", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("nodom", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("vmx", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("devices", StringComparison.Ordinal));
    }

    [Fact]
    public void Clear_dirty_without_report_is_found_by_a_few_pct_schedules_of_live_migration()
    {
        var result = Explorer.Run(ScenarioLibrary.BuiltIn("live-migration"), new ExploreSettings
        {
            Schedules = 5,
            Strategy = "pct",
            Bugs = ["clear-dirty-without-report"],
            Options = BugCatalogue.Apply(["clear-dirty-without-report"]),
        });
        var report = Assert.IsType<RunReport>(result.Failure?.Report);
        Assert.Contains(report.Violations, v => v.Invariant == Actors.Oracle.DirtyTrackingOracle.InvariantName
            && v.Message.Contains("cleared without being reported", StringComparison.Ordinal));
        // The same scenario without the bug: no violation in the same schedules.
        Assert.Null(Explorer.Run(ScenarioLibrary.BuiltIn("live-migration"), new ExploreSettings { Schedules = 5, Strategy = "pct" }).Failure);
    }

    [Fact]
    public void A_dirty_read_costs_dirty_read_clear_per_dirty_iopte_it_found()
    {
        var model = CostModel.FromConfig(Runtime.Configuration.ConfigurationFactory.ParseString("sim.cost { dirty-read-clear = 7ns }"));
        var rules = CostRules.For(model);
        var leaves = new List<AddressRange> { new(0, 0x1000), new(0x5000, 0x6000), new(0x200000, 0x400000) };
        Assert.Equal(21, rules.OfEvent(new DirtyBitsRead(ActorRefs.Nobody, 1, 1, new AddressRange(0, 0x400000), true, leaves)));
        Assert.Equal(0, rules.OfEvent(new DirtyBitsRead(ActorRefs.Nobody, 2, 2, new AddressRange(0, 0x400000), true, [])));
    }
}
