using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>The SVA steps (sva-bind, sva-unbind, sva-dma-read/write, sva-stats) against the real SVA core, units and devices.</summary>
public sealed partial class StepTests
{
    internal const string SvaMachine = """
        machine {
          memory = 16MiB
          units { iommu0 { preset = intel-vtd }, iommu1 { preset = intel-vtd } }
          devices { acc0 { unit = iommu0 }, acc1 { unit = iommu1 }, plain { } }
          processes { p0 {}, p1 {} }
          sva {}
        }

        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sva_steps_bind_dma_with_page_faults_and_unbind_with_the_kernels_errnos(bool deterministic)
    {
        var report = Cli.Run(SvaMachine + """
            steps = [
              { op = mmap, process = p0, pages = 8, at = 0x1000000000, name = a }
              { op = cpu-write, process = p0, address = a, values = [10, 11] }
              { op = sva-bind, bond = b0, device = acc0, process = p0, name = k0, expect { users = 1 } }
              { op = sva-bind, bond = b1, device = acc1, process = p0, expect { pasid = k0.pasid } }
              { op = sva-bind, device = plain, process = p0, expect { errno = ENODEV } }
              # Written pages translate at once; untouched ones page-fault in (one request per page).
              { op = sva-dma-read, bond = b0, address = a, pages = 2, expect { values = [10, 11], page-requests = 0 } }
              { op = sva-dma-write, bond = b1, address = "a + 2 pages", values = [7, 8, 9], expect { pages = 3, page-requests = 3 } }
              { op = sva-dma-read, bond = b0, address = "a + 2 pages", pages = 3, name = v, expect { values = [7, 8, 9] } }
              { op = cpu-read, process = p0, address = "a + 4 pages", expect { value = 9 } }
              # A PASID the device has no entry for, and an address outside every VMA.
              { op = sva-dma-read, device = acc0, pasid = "k0.pasid + 1", address = a, pages = 1, expect { errno = EFAULT, pages = 0 } }
              { op = sva-dma-read, bond = b0, address = "a + 8 pages", pages = 1, expect { errno = EFAULT } }
              { op = sva-stats, expect { pasids = 1, bonds = 2, domains = 2, domain-users = 2, binds = 2, pasid-entries = 2, page-requests = 4, page-responses = 4 } }
              # munmap invalidates the PASID on both units.
              { op = sva-stats, name = before }
              { op = munmap, process = p0, address = a, pages = 8 }
              { op = sva-stats, name = after }
              { op = eval, value = "after.invalidation-commands - before.invalidation-commands", expect { value = 2 } }
              { op = sva-dma-read, bond = b1, address = a, pages = 1, expect { errno = EFAULT } }
              { op = sva-unbind, bond = b0 }
              { op = sva-unbind, bond = b0, expect { errno = EINVAL } }
              { op = sva-unbind, bond = b1 }
              { op = exit, process = p1 }
              { op = sva-bind, device = acc0, process = p1, expect { errno = ESRCH } }
              { op = sva-stats, expect { pasids = 1, bonds = 0, domains = 0, pasid-entries = 0, unbinds = 2 } }
            ]
            """, deterministic);
        Cli.AssertAllHeld(report, 45);
    }

    [Theory]
    [InlineData("iommusim.sva.domain-sharing = per-unit", 2, 1024)]
    [InlineData("iommusim.sva.domain-sharing = shared", 1, 640)]
    [InlineData("iommusim.sva.domain-sharing = shared\nmachine.sva.domain-sharing = per-unit", 2, 1024)]
    public void Domain_sharing_comes_from_the_scenarios_config_and_the_sva_section_overrides_it(string setting, int domains, int bytes)
    {
        var report = Cli.Run(SvaMachine + setting + "\n" + $$"""
            steps = [
              { op = sva-bind, bond = b0, device = acc0, process = p0 }
              { op = sva-bind, bond = b1, device = acc1, process = p0 }
              { op = sva-stats, expect { domains = {{domains}}, domain-users = 2, domain-bytes = {{bytes}} } }
              { op = sva-unbind, bond = b0 }
              { op = sva-unbind, bond = b1 }
            ]
            """);
        Cli.AssertAllHeld(report, 8);
    }

    [Fact]
    public void The_page_request_settings_of_iommusim_sva_iopf_reach_every_unit()
    {
        // Four pages per page request group: a burst of 8 untouched pages waits for 2 groups.
        var report = Cli.Run(SvaMachine + """
            iommusim.sva.iopf.group-pages = 4
            steps = [
              { op = mmap, process = p0, pages = 8, name = a }
              { op = sva-bind, bond = b1, device = acc1, process = p0 }
              { op = sva-dma-read, bond = b1, address = a, pages = 8, expect { values = [0, 0, 0, 0, 0, 0, 0, 0], page-requests = 2 } }
              { op = sva-unbind, bond = b1 }
            ]
            """);
        Cli.AssertAllHeld(report, 6);
    }

    [Fact]
    public void A_bond_left_bound_at_teardown_is_a_refcount_violation()
    {
        var report = Cli.Run(SvaMachine + """
            steps = [ { op = sva-bind, bond = b0, device = acc0, process = p0 } ]
            """);
        Assert.Contains(report.Violations, v => v.Invariant == "sva-refcounts-zero-at-teardown");
    }

    [Fact]
    public void Sva_steps_without_an_sva_core_or_with_unknown_bonds_are_errors_with_positions()
    {
        var noCore = Cli.Errors("""
            machine { units { u { preset = intel-vtd } }, devices { d { unit = u } }, processes { p {} } }
            steps = [ { op = sva-bind, device = d, process = p } ]
            """);
        Assert.Contains(noCore, e => e.Message.Contains("add 'sva { }' to the machine section", StringComparison.Ordinal));
        var unknown = Cli.Errors(SvaMachine + """
            steps = [
              { op = sva-unbind, bond = nope }
              { op = sva-dma-read, bond = nope, device = acc0, address = 0, pages = 1 }
            ]
            """);
        Assert.Contains(unknown, e => e.Message.Contains("nope", StringComparison.Ordinal));
        Assert.Contains(unknown, e => e.Message.Contains("give 'bond', or 'device' and 'pasid', not both", StringComparison.Ordinal));
        var badSetting = Cli.Errors(SvaMachine + "iommusim.sva.domain-sharing = sometimes\nsteps = []");
        Assert.Contains(badSetting, e => e.Message.Contains("domain-sharing must be per-unit or shared", StringComparison.Ordinal) && e.Position is not null);
    }
}
