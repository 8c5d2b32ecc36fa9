using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>Every step kind runs against the real actors, with data and errno expectations; on both dispatchers.</summary>
public sealed partial class StepTests
{
    internal const string Machine = """
        machine {
          memory = 32MiB
          units { iommu0 { preset = intel-vtd } }
          devices {
            gpu0 { unit = iommu0 }
            gpu1 { unit = iommu0, atc-entries = 8 }
            gpu2 { unit = iommu0 }
            dmirror0 { private-memory = 4MiB }
            dmirror1 { private-memory = 4MiB }
          }
          iommu-domains {
            dom0 { devices = [gpu0, gpu1] }
            dma0 { type = dma, devices = [gpu2] }
          }
          processes { p0 {} }
          mirrors {
            m0 { process = p0, device = dmirror0 }
            m1 { process = p0, device = dmirror1 }
            g0 { process = p0, device = gpu0 }
          }
        }

        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mm_steps_map_unmap_protect_remap_fork_exit_and_move_data(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 4, at = 0x1000000000, name = a, expect { address = 0x1000000000 } }
              { op = cpu-write, process = p0, address = a, values = [10, 11, 12, 13] }
              { op = cpu-read, process = p0, address = a, pages = 4, name = v, expect { values = "10..13", value = 10 } }
              { op = eval, value = "v[3]", expect { value = 13 } }
              { op = mprotect, process = p0, address = a, pages = 4, prot = r }
              { op = cpu-write, process = p0, address = a, value = 1, expect { errno = EACCES } }
              { op = mprotect, process = p0, address = a, length = 16KiB, prot = rw }
              { op = mremap, process = p0, address = a, old-pages = 4, new-pages = 8, flags = [may-move], name = b }
              { op = cpu-read, process = p0, address = b, pages = 5, expect { values = ["10..13", 0] } }
              { op = fork, process = p0, child = c }
              { op = cpu-write, process = c, address = b, value = 99 }
              { op = cpu-read, process = c, address = b, expect { value = 99 } }
              { op = cpu-read, process = p0, address = b, expect { value = 10 } }
              { op = exit, process = c }
              { op = mmap, process = c, pages = 1, expect { errno = ESRCH } }
              { op = munmap, process = p0, address = b, pages = 8 }
              { op = cpu-read, process = p0, address = b, expect { errno = EFAULT } }
              { op = mm-stats, process = p0, name = s, expect { vmas = 0, resident-pages = 0, mirrors = 3 } }
              { op = mmap, process = p0, length = 0, expect { errno = EINVAL } }
              { op = munmap, process = p0, address = 0x1001, pages = 1, expect { errno = EINVAL } }
            ]
            """, deterministic);
        // 19 errnos (one per step but eval's) + 10 values, counters and addresses.
        Cli.AssertAllHeld(report, 29);
    }

    [Fact]
    public void A_wrong_expectation_fails_at_its_position_and_the_run_exits_1()
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 2, name = a }
              { op = cpu-read, process = p0, address = a, pages = 2, expect { values = [0, 1] } }
              { op = munmap, process = p0, address = a, pages = 2, expect { errno = EINVAL } }
            ]
            """);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(2, report.Expectations.Failed);
        var values = report.Expectations.Failures[0];
        Assert.Equal("test.hocon:24:76", values.Position);
        Assert.Equal("values = value 1 = 1 in [0, 1] (got 0 there)", values.Expected);
        Assert.Equal("[0, 0]", values.Actual);
        Assert.Equal("cpu-read (test.hocon:24:3)", values.Step);
        var errno = report.Expectations.Failures[1];
        Assert.Equal("errno = EINVAL", errno.Expected);
        Assert.Equal("success", errno.Actual);
    }
}
