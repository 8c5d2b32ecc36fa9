using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// The simulated time an IOMMU unit charges on the deterministic dispatcher's virtual clock (the
/// cost model DESIGN.md asks for: IOTLB hit, walk per level, invalidation, sync). Each burst or
/// request adds its costs up and charges them once; the thread-pool dispatcher ignores them.
/// The defaults equal akka.hocon's <c>sim.cost</c>, where their sources are cited.
/// </summary>
public sealed record IommuUnitCosts
{
    /// <summary>Per IOTLB hit, in nanoseconds (a tick is 100 ns, so costs are kept in ns).</summary>
    public double IotlbHitNs { get; init; } = 2;
    public double MicroTlbHitNs { get; init; } = 1;
    /// <summary>Per page-table level a walk reads (one memory access each).</summary>
    public double WalkLevelNs { get; init; } = 80;
    /// <summary>Per page read or written in memory (a 4 KiB transfer over the device's link).</summary>
    public double MemoryAccessNs { get; init; } = 160;
    /// <summary>Per command submitted to the invalidation queue.</summary>
    public double InvalidationNs { get; init; } = 50;
    /// <summary>Per sync (CMD_SYNC round trip through the queue).</summary>
    public double SyncNs { get; init; } = 500;

    public static IommuUnitCosts Default { get; } = new();
}

/// <summary>
/// One IOMMU unit as a configuration describes it: its name, its capabilities (page sizes, widths,
/// PASID bits, SVA, PRI, dirty tracking, format, IOTLB and queue sizes), its fault queue, its
/// cost model and its bug-injection switch. Parsed from HOCON by <see cref="IommuUnitConfigReader"/>.
/// </summary>
public sealed record IommuUnitConfig
{
    public IommuUnitConfig(string name, IommuUnitCapabilities capabilities)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(capabilities);
        if (capabilities.Validate(out var message) != Errno.None)
            throw new ArgumentException($"unit {name}: {message}", nameof(capabilities));
        Name = name;
        Capabilities = capabilities;
    }

    public string Name { get; }
    public IommuUnitCapabilities Capabilities { get; }

    /// <summary>Entries of the fault queue (the SMMU event queue); faults beyond it are counted as overflow and lost.</summary>
    public int FaultQueueDepth { get; init; } = 128;

    public IommuUnitCosts Costs { get; init; } = IommuUnitCosts.Default;

    /// <summary>
    /// Bug injection, off in every correct configuration: complete a sync without invalidating the
    /// device TLBs (ATCs) behind the unit. A device with an ATC can then keep translating an IOVA
    /// whose unmap was answered, which the DMA safety check reports.
    /// </summary>
    public bool DropDeviceTlbInvalidation { get; init; }

    /// <summary>Walk at most this many pages per walker request (a burst that misses needs several).</summary>
    public int WalkBatchPages { get; init; } = 512;

    /// <summary>The page request queue and fault groups of SVA DMA (used when the unit has page requests).</summary>
    public IopfOptions Iopf { get; init; } = IopfOptions.Default;
}
