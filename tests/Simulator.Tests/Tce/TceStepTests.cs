using IommuSim.Hardware.Iommu;
using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Topology;
using Xunit;

namespace IommuSim.Simulator.Tests.Tce;

/// <summary>
/// The VFIO sPAPR TCE container in scenario files: the tce-groups and tce-containers sections, the
/// tce-* steps against the real actors (errnos in the kernel's order, data through the window, the
/// counters), the teardown that detaches, the checks of a bad file, the cost and the metrics.
/// </summary>
public sealed class TceStepTests
{
    internal const string Machine = """
        machine {
          memory = 16MiB
          units { phb0 { preset = power-phb }, iommu0 { preset = intel-vtd } }
          devices { nic0 { unit = phb0 }, nic1 { unit = phb0 } }
          processes { qemu {} }
          tce-groups {
            pe1 { unit = phb0, devices = [nic0, nic1], tables = [ { offset = 0x100, entries = 64 } ] }
            pe2 { unit = phb0, tables = [ { offset = 0x100, entries = 64, exchange = false } ] }
          }
          tce-containers {
            c0 { process = qemu }
            c1 { process = qemu }
          }
        }

        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tce_steps_own_enable_map_unmap_and_devices_dma_through_the_window(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = qemu, pages = 8, at = 0x10000000, name = buf }
              { op = cpu-write, process = qemu, address = buf, values = "10..17" }
              { op = tce-enable, tce-container = c0, expect { errno = ENODEV } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 1, expect { errno = EPERM } }
              { op = tce-info, tce-container = c0, expect { errno = ENXIO } }
              { op = tce-attach, tce-container = c0, tce-group = pe2, expect { errno = EINVAL } }
              { op = tce-attach, tce-container = c0, tce-group = pe1 }
              { op = tce-attach, tce-container = c0, tce-group = pe1, expect { errno = EBUSY } }
              { op = tce-attach, tce-container = c1, tce-group = pe1, expect { errno = EBUSY } }
              { op = tce-info, tce-container = c0, name = info, expect { dma32-window-start = 0x100000, dma32-window-size = 256KiB } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 1, expect { errno = EPERM } }
              { op = tce-enable, tce-container = c0 }
              { op = tce-enable, tce-container = c0, expect { errno = EBUSY } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = "info.dma32-window-start", pages = 8 }
              { op = dma-read, device = nic0, iova = 0x100000, pages = 8, expect { values = "10..17" } }
              { op = dma-write, device = nic1, iova = "0x100000 + 2 pages", values = [99] }
              { op = cpu-read, process = qemu, address = "buf + 2 pages", expect { value = 99 } }
              { op = tce-stats, tce-container = c0, expect { pinned-pages = 8, valid-tces = 8, enabled = 1, groups = 1, locked-pages = 64 } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, length = 100, expect { errno = EINVAL } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 1, flags = none, expect { errno = EINVAL } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 1, flags = 5, expect { errno = EINVAL } }
              { op = tce-map, tce-container = c0, vaddr = "buf + 3", iova = 0x100000, pages = 1, expect { errno = EINVAL } }
              { op = tce-map, tce-container = c0, vaddr = "buf + 4", iova = 0x100000, pages = 1, expect { errno = EINVAL } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x900000, pages = 1, expect { errno = ENXIO } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = "0x100000 + 62 pages", pages = 4, expect { errno = EINVAL } }
              { op = tce-stats, tce-container = c0, expect { pinned-pages = 8, valid-tces = 8, exchanges = 8 } }
              # Half built: pages 6 and 7 pin, page 8 has no VMA; the two entries written are cleared.
              { op = tce-map, tce-container = c0, vaddr = "buf + 6 pages", iova = "0x100000 + 10 pages", pages = 4, flags = r, expect { errno = EFAULT } }
              { op = dma-read, device = nic0, iova = "0x100000 + 10 pages", pages = 1, expect { errno = EFAULT } }
              { op = tce-stats, tce-container = c0, expect { pinned-pages = 8, valid-tces = 8, exchanges = 12 } }
              # Read-only for the device: a write faults.
              { op = tce-map, tce-container = c0, vaddr = buf, iova = "0x100000 + 20 pages", pages = 1, flags = r }
              { op = dma-write, device = nic0, iova = "0x100000 + 20 pages", values = [1], expect { errno = EPERM } }
              { op = tce-unmap, tce-container = c0, iova = 0x100000, pages = 32 }
              { op = dma-read, device = nic0, iova = 0x100000, pages = 1, expect { errno = EFAULT } }
              { op = tce-unmap, tce-container = c0, iova = 0x100000, pages = 1, flags = 1, expect { errno = EINVAL } }
              { op = tce-stats, tce-container = c0, expect { pinned-pages = 0, valid-tces = 0, pages-pinned = 11, pages-released = 11 } }
              { op = tce-detach, tce-container = c0, tce-group = pe2, expect { errno = EINVAL } }
              { op = tce-detach, tce-container = c0, tce-group = pe1 }
              { op = tce-stats, tce-container = c0, expect { groups = 0, enabled = 0 } }
              { op = tce-attach, tce-container = c1, tce-group = pe1 }
              { op = tce-enable, tce-container = c1 }
              { op = tce-map, tce-container = c1, vaddr = buf, iova = 0x100000, pages = 2, flags = w }
              { op = tce-disable, tce-container = c1 }
              { op = tce-map, tce-container = c1, vaddr = buf, iova = 0x100000, pages = 2, expect { errno = EPERM } }
            ]
            """, deterministic);
        // 43 errnos (one per step) + 21 values and counters.
        Cli.AssertAllHeld(report, 64);
    }

    [Fact]
    public void Teardown_detaches_what_is_still_attached_and_releases_every_pin()
    {
        TceTableGroup? group = null;
        var report = Cli.Run(Machine.Replace("c0 { process = qemu }", "c0 { process = qemu, group = pe1 }", StringComparison.Ordinal) + """
            steps = [
              { op = mmap, process = qemu, pages = 4, name = buf }
              { op = tce-stats, tce-container = c0, expect { groups = 1, enabled = 1 } }
              { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 4 }
              { op = memory-stats, expect { pinned = 4 } }
            ]
            """, arrange: m => group = (TceTableGroup)m.TceGroups()["pe1"]);
        // 3 errnos (memory-stats has none) + 3 counters.
        Cli.AssertAllHeld(report, 6);
        Assert.NotNull(group);
        Assert.False(group!.Tables[0].IsOwned);
        Assert.Equal(0, group.Tables[0].ValidEntries);
    }

    [Fact]
    public void A_bad_topology_or_step_is_named_with_its_position()
    {
        var errors = Cli.Errors("""
            machine {
              units { phb0 { preset = power-phb }, iommu0 { preset = intel-vtd } }
              devices { nic0 { unit = phb0 }, nic1 { unit = iommu0 }, nic2 { unit = phb0 } }
              iommu-domains { dom0 { devices = [nic2] } }
              processes { qemu {} }
              tce-groups {
                pe1 { unit = phb0, devices = [nic0, nic1, nic2, nic9], tables = [ { offset = 0x100, entries = 64, type = [pci, swinv-frob] } ] }
                pe2 { unit = phb0, devices = [nic0], tables = [ { entries = 8 } ] }
                pe3 { unit = phb0, tables = [] }
                pe4 { unit = phb0, tables = [ { offset = 0, entries = 16 }, { offset = 8, entries = 16 } ] }
              }
              tce-containers { c0 { process = qemu2, group = pe9 } }
            }
            steps = [
              { op = tce-map, tce-container = c9, vaddr = 0, iova = 0, pages = 1, flags = rwx }
            ]
            """).Select(e => e.ToString()).ToList();
        void Has(string text) => Assert.True(errors.Any(e => e.Contains(text, StringComparison.Ordinal)), $"no '{text}' in:\n{string.Join("\n", errors)}");
        Has("device nic1 is behind unit iommu0, but tce-group pe1 belongs to unit phb0");
        Has("device nic2 is attached to iommu-domain dom0");
        Has("nic9");
        Has("unknown TCE table type 'swinv-frob'");
        Has("device nic0 is already in tce-group pe1");
        Has("'offset'");
        Has("a TCE group has 1 to 2 tables");
        Has("the windows of tables 0 and 1 overlap");
        Has("qemu2");
        Has("pe9");
        Has("c9");
        Has("'flags' must be rw, r, w, none");
        Assert.All(errors, e => Assert.StartsWith("test.hocon:", e, StringComparison.Ordinal));
    }

    private const string CostScenario = """
        steps = [
          { op = mmap, process = qemu, pages = 8, name = buf }
          { op = tce-attach, tce-container = c0, tce-group = pe1 }
          { op = tce-enable, tce-container = c0 }
          { op = tce-writeback, expect { cleaned = 0 } }
          { op = cpu-write, process = qemu, address = buf, values = "0..7" }
          { op = tce-writeback, expect { cleaned = 8 } }
          { op = tce-map, tce-container = c0, vaddr = buf, iova = 0x100000, pages = 8, flags = w }
          { op = tce-map, tce-container = c0, vaddr = buf, iova = "0x100000 + 8 pages", pages = 4, flags = r }
          { op = tce-map, tce-container = c0, vaddr = 0, iova = 0x100000, pages = 1, expect { errno = EFAULT } }
          { op = tce-unmap, tce-container = c0, iova = 0x100000, pages = 12 }
        ]
        """;

    [Fact]
    public void Each_tce_exchanged_costs_sim_cost_tce_exchange()
    {
        double Run(string cost)
        {
            var report = ScenarioRunner.Run(Cli.Parse(Machine + cost + CostScenario), new RunSettings { Metrics = true }).Report;
            Assert.True(report.ExitCode == 0, Cli.Describe(report));
            return report.SimulatedNs;
        }
        // 8 + 4 mapped, 12 unmapped; the detach at teardown finds no valid entry left to exchange.
        var exchanges = 12 + 12;
        Assert.Equal(exchanges * 1_000.0, Run("sim.cost.tce-exchange = 1100ns\n") - Run("sim.cost.tce-exchange = 100ns\n"));
    }

    [Fact]
    public void The_tce_metrics_count_exchanges_maps_unmaps_pins_and_dirty_releases()
    {
        var report = ScenarioRunner.Run(Cli.Parse(Machine + CostScenario), new RunSettings { Metrics = true }).Report;
        Assert.True(report.ExitCode == 0, Cli.Describe(report));
        var m = report.Metrics;
        Assert.Equal(
            // Requests: attach, enable, three maps (one EFAULT), unmap, the teardown's detach (stats are not counted).
            (24.0, 12.0, 12.0, 12.0, 12.0, 8.0, 7.0, 1.0),
            (m[TceMetrics.Exchanges], m[TceMetrics.PagesMapped], m[TceMetrics.PagesUnmapped], m[TceMetrics.Pins], m[TceMetrics.PinsReleased],
                m[TceMetrics.PagesDirtied], m[TceMetrics.Requests], m[TceMetrics.RequestsFailed]));
        Assert.True(m[TceMetrics.ExchangeRate] > 0);
        // A run without a container reports none of them.
        var other = ScenarioRunner.Run(Cli.Parse(StepTestsMachine + "steps = [ { op = mmap, process = p0, pages = 1 } ]"), new RunSettings { Metrics = true }).Report;
        Assert.DoesNotContain(other.Metrics.Keys, k => k.StartsWith("tce_", StringComparison.Ordinal));
    }

    private static string StepTestsMachine => StepTests.Machine;
}
