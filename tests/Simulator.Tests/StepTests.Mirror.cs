using Xunit;

namespace IommuSim.Simulator.Tests;

public sealed partial class StepTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mirror_steps_read_write_migrate_snapshot_and_take_exclusive_access(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 8, name = a }
              { op = device-write, mirror = m0, address = a, values = "1..8", expect { cpages = 8, faults = 1 } }
              { op = device-read, mirror = m1, address = a, pages = 8, name = r, expect { values = "1..8", value = 1, cpages = 8 } }
              { op = migrate-to-device, mirror = m0, address = a, pages = 8, expect { cpages = 8, values = "1..8" } }
              { op = snapshot, mirror = m0, address = a, pages = 2, expect { prot = [local | write, local | write], cpages = 2 } }
              { op = snapshot, mirror = m1, address = a, pages = 1, expect { prot = [none] } }
              { op = migrate-to-system, mirror = m0, address = a, pages = 8, expect { cpages = 8 } }
              { op = migrate-to-device, mirror = m0, address = a, pages = 4 }
              { op = mirror-release, mirror = m0, expect { cpages = 4 } }
              { op = exclusive, mirror = m0, address = a, pages = 8, expect { values = "1..8" } }
              { op = check-exclusive, mirror = m0, address = a, pages = 8, expect { errno = EPERM } }
              { op = cpu-read, process = p0, address = a, pages = 8, expect { values = "1..8" } }
              { op = check-exclusive, mirror = m0, address = a, pages = 8 }
              { op = mirror-open, mirror = m2, process = p0, device = dmirror0, expect { errno = EINVAL } }
              { op = fork, process = p0, child = c }
              { op = mirror-open, mirror = cm, process = c, device = dmirror1 }
              { op = device-read, mirror = cm, address = a, pages = 8, expect { values = "1..8" } }
              { op = mirror-stats, mirror = cm, expect { mapped-pages = 8, pages-copied = 8 } }
              { op = device-read, mirror = m0, address = "a + 0x10", pages = 1, expect { errno = EINVAL } }
              { op = munmap, process = p0, address = a, pages = 8 }
              { op = device-read, mirror = m0, address = a, pages = 8, expect { errno = EFAULT } }
              { op = mirror-stats, mirror = m0, expect { mapped-pages = 0 } }
            ]
            """, deterministic);
        // 22 errnos + 18 values and counters.
        Cli.AssertAllHeld(report, 40);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Device_and_iommu_steps_dma_by_iova_map_unmap_attach_and_the_dma_api(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              # DMA through the mirror's HMM domain mapping (seed 000).
              { op = mmap, process = p0, pages = 4, name = a }
              { op = device-write, mirror = g0, address = a, values = "5..8" }
              { op = dma-read, device = gpu0, iova = "iova(g0, a)", pages = 4, name = v, expect { values = "5..8", pages = 4 } }
              { op = dma-write, device = gpu0, iova = "iova(g0, a + 1 page)", values = [50, 60] }
              { op = cpu-read, process = p0, address = a, pages = 4, expect { values = [5, 50, 60, 8] } }
              { op = device-stats, device = gpu0, expect { bursts = 2, pages-read = 4, pages-written = 2 } }
              # The IOMMU API on a domain, with pages a driver allocated.
              { op = alloc-pages, pages = 2, name = frames }
              { op = phys-write, phys = "frames[0]", value = 77 }
              { op = iommu-map, iommu-domain = dom0, iova = 0x40000000, phys = "frames[0]", pages = 1 }
              { op = iommu-map, iommu-domain = dom0, iova = 0x40001000, phys = "frames[1]", pages = 1, prot = r }
              { op = dma-read, device = gpu1, iova = 0x40000000, pages = 2, expect { values = [77, 0] } }
              { op = dma-write, device = gpu1, iova = 0x40001000, value = 1, expect { errno = EPERM, pages = 0 } }
              { op = iommu-unmap, iommu-domain = dom0, iova = 0x40000000, pages = 2, expect { unmapped = 8KiB } }
              { op = dma-read, device = gpu1, iova = 0x40000000, pages = 1, expect { errno = EFAULT } }
              { op = iommu-domain-stats, iommu-domain = dom0, expect { devices = 2, mapped-bytes = 16KiB } }
              # The DMA API on a DMA domain.
              { op = dma-map, iommu-domain = dma0, phys = "frames[1]", pages = 1, name = io }
              { op = dma-read, device = gpu2, iova = io, pages = 1 }
              { op = dma-unmap, iommu-domain = dma0, iova = io, pages = 1, expect { unmapped = 4KiB } }
              { op = flush-iotlb-all, iommu-domain = dma0 }
              { op = dma-read, device = gpu2, iova = io, pages = 1, expect { errno = EFAULT } }
              { op = phys-read, phys = "frames[0]", expect { value = 77 } }
              { op = free-pages, pages = frames }
              # Attach and detach; a device of another domain's unit cannot be attached twice.
              { op = detach, iommu-domain = dma0, device = gpu2 }
              { op = detach, iommu-domain = dma0, device = gpu2, expect { errno = EINVAL } }
              { op = attach, iommu-domain = dma0, device = gpu2 }
              # The unit moved gpu0's 6 pages and gpu2's 1; gpu1 translated through its ATC and moved its own.
              { op = iommu-unit-stats, unit = iommu0, expect { dma-pages = 7, syncs { at-least = 2 } } }
              { op = memory-stats, expect { use-after-free = 0, pinned = 0 } }
            ]
            """, deterministic);
        Cli.AssertAllHeld(report, 43);
    }
}
