using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// What one IOMMU hardware unit can do: the facts a driver reads from capability registers
/// (VT-d CAP/ECAP, SMMU IDR0-5, AMD EFR) plus the sizes of its caches and queue, which the
/// simulator makes configurable for design comparisons. A domain may attach to a unit only if
/// the unit's capabilities fit it ("can attach"). Immutable; <see cref="Validate"/> rejects
/// combinations no hardware could have.
/// </summary>
public sealed record IommuUnitCapabilities
{
    /// <summary>Supported leaf sizes (pgsize_bitmap).</summary>
    public ulong PageSizes { get; init; } = PageSizeBitmap.Radix4K;
    /// <summary>IOVA width the unit translates.</summary>
    public int InputAddressBits { get; init; } = 48;
    /// <summary>Physical address width it emits.</summary>
    public int OutputAddressBits { get; init; } = 52;
    /// <summary>PASID width, 0 for none; PCIe allows up to 20.</summary>
    public int PasidBits { get; init; } = 20;
    /// <summary>Shared virtual addressing: can walk a CPU page table by PASID (seed 002).</summary>
    public bool Sva { get; init; } = true;
    /// <summary>PCIe page requests (PRI): recoverable I/O page faults.</summary>
    public bool PageRequests { get; init; } = true;
    /// <summary>Hardware IOPTE dirty bits (AMD HAD, VT-d SSADS, SMMUv3 HTTU), seed 004.</summary>
    public bool DirtyTracking { get; init; } = true;
    /// <summary>One of <see cref="IoPageTableFormats"/>.</summary>
    public string PageTableFormat { get; init; } = IoPageTableFormats.X86_64;
    public int IotlbEntries { get; init; } = Iotlb.DefaultEntries;
    public int IotlbWays { get; init; } = Iotlb.DefaultWays;
    /// <summary>Entries of each device's micro-TLB / ATC; 0 for none.</summary>
    public int MicroTlbEntries { get; init; } = MicroTlb.DefaultEntries;
    public int InvalidationQueueDepth { get; init; } = InvalidationQueue.DefaultDepth;

    /// <summary>An Intel VT-d-like unit: x86-64 tables, 48-bit IOVA, SVA with PRI, dirty tracking.</summary>
    public static IommuUnitCapabilities IntelVtd { get; } = new();

    /// <summary>An Arm SMMUv3-like unit: stage-1 LPAE tables, 48-bit in and out, SVA with PRI, HTTU dirty tracking.</summary>
    public static IommuUnitCapabilities ArmSmmuV3 { get; } = new()
    {
        PageTableFormat = IoPageTableFormats.Arm64LpaeS1,
        OutputAddressBits = 48,
    };

    /// <summary>A POWER8 PHB3-like unit: TCE tables with 4 KiB, 64 KiB and 16 MiB pages; no PASID, SVA, PRI or dirty bits.</summary>
    public static IommuUnitCapabilities PowerPhb { get; } = new()
    {
        PageTableFormat = IoPageTableFormats.PowerTce,
        PageSizes = PageSizeBitmap.Size4K | (1UL << 16) | (1UL << 24),
        InputAddressBits = 64,
        OutputAddressBits = 50,
        PasidBits = 0,
        Sva = false,
        PageRequests = false,
        DirtyTracking = false,
    };

    private const ulong TcePageSizes = PageSizeBitmap.Size4K | (1UL << 16) | PageSizeBitmap.Size2M | (1UL << 24) | (1UL << 28) | PageSizeBitmap.Size1G;

    /// <summary>
    /// Checks the combination. EINVAL for values out of range or contradicting each other,
    /// EOPNOTSUPP for a feature the page-table format cannot provide. <paramref name="message"/>
    /// says which rule failed (empty on success).
    /// </summary>
    public Errno Validate(out string message)
    {
        var (errno, text) = Check();
        message = text;
        return errno;
    }

    private (Errno, string) Check()
    {
        var format = PageTableFormat;
        if (!IoPageTableFormats.IsKnown(format))
            return (Errno.EINVAL, $"unknown page-table format '{format}'; known: {string.Join(", ", IoPageTableFormats.All)}");
        var radix = IoPageTableFormats.IsRadix(format);
        var arm = format is IoPageTableFormats.Arm64LpaeS1 or IoPageTableFormats.Arm64LpaeS2;

        if (PageSizes == 0)
            return (Errno.EINVAL, "no page size supported");
        if (radix && ((PageSizes & PageSizeBitmap.Size4K) == 0 || (PageSizes & ~PageSizeBitmap.Radix4K) != 0))
            return (Errno.EINVAL, $"{format} with a 4 KiB granule has 4 KiB pages and may add 2 MiB and 1 GiB; page sizes 0x{PageSizes:x} do not fit");
        if (!radix && (PageSizes & ~TcePageSizes) != 0)
            return (Errno.EINVAL, $"TCE tables use 4K, 64K, 2M, 16M, 256M or 1G pages; page sizes 0x{PageSizes:x} do not fit");

        if (format is IoPageTableFormats.X86_64 && InputAddressBits is not (39 or 48 or 57))
            return (Errno.EINVAL, $"x86_64 tables have 3, 4 or 5 levels (39, 48 or 57 bits), not {InputAddressBits} bits");
        if (format is IoPageTableFormats.AmdIommuV1 && InputAddressBits is < IoPageTable.MinAddressBits or > IoPageTable.MaxAddressBits)
            return (Errno.EINVAL, $"amd_iommu_v1 input width must be {IoPageTable.MinAddressBits}..{IoPageTable.MaxAddressBits} bits, not {InputAddressBits}");
        if (arm && InputAddressBits is < 32 or > 48)
            return (Errno.EINVAL, $"LPAE input width must be 32..48 bits, not {InputAddressBits}");
        if (!radix && InputAddressBits is < 32 or > 64)
            return (Errno.EINVAL, $"TCE bus address width must be 32..64 bits, not {InputAddressBits}");
        if (OutputAddressBits is < 32 or > 52 || (arm && OutputAddressBits > 48))
            return (Errno.EINVAL, $"output address width {OutputAddressBits} is outside 32..{(arm ? 48 : 52)} bits");
        var largestShift = 63 - BitOperations.LeadingZeroCount(PageSizes);
        if (largestShift >= InputAddressBits)
            return (Errno.EINVAL, $"a 2^{largestShift}-byte page does not fit a {InputAddressBits}-bit address space");

        if (PasidBits is < 0 or > 20)
            return (Errno.EINVAL, $"PASID width must be 0..20 bits (PCIe), not {PasidBits}");
        if (!radix && PasidBits != 0)
            return (Errno.EOPNOTSUPP, "TCE tables have no PASID-tagged address spaces");
        if (Sva && PasidBits == 0)
            return (Errno.EINVAL, "SVA tags DMA with a PASID, but the unit has no PASID bits");
        if (Sva && !IoPageTableFormats.SharesCpuPageTable(format))
            return (Errno.EOPNOTSUPP, $"SVA walks the CPU's page table; {format} cannot");
        if (Sva && InputAddressBits < 48)
            return (Errno.EINVAL, $"SVA takes CPU virtual addresses (48 or 57 bits); a {InputAddressBits}-bit unit cannot");
        if (PageRequests && !radix)
            return (Errno.EOPNOTSUPP, "TCE translation has no page requests");
        if (DirtyTracking && !radix)
            return (Errno.EOPNOTSUPP, "TCEs have no dirty bit");

        if (IotlbEntries < 1 || IotlbWays < 1 || IotlbEntries % IotlbWays != 0 || !BitOperations.IsPow2(IotlbEntries / IotlbWays))
            return (Errno.EINVAL, $"an IOTLB of {IotlbEntries} entries in {IotlbWays} ways has no power-of-two number of sets");
        if (MicroTlbEntries < 0)
            return (Errno.EINVAL, $"micro-TLB entries cannot be negative ({MicroTlbEntries})");
        if (InvalidationQueueDepth < 2 || !BitOperations.IsPow2(InvalidationQueueDepth))
            return (Errno.EINVAL, $"invalidation queue depth {InvalidationQueueDepth} is not a power of two of at least 2 (room for a command and its sync)");
        return (Errno.None, string.Empty);
    }

    /// <summary>A domain page table for this unit.</summary>
    public IoPageTable CreatePageTable(bool freeEmptyDirectories = true)
    {
        EnsureValid();
        if (!IoPageTableFormats.IsRadix(PageTableFormat))
            throw new InvalidOperationException($"{PageTableFormat} units translate through TCE tables, not an io-pgtable");
        return new IoPageTable(InputAddressBits, PageSizes, OutputAddressBits, freeEmptyDirectories, DirtyTracking);
    }

    public Iotlb CreateIotlb()
    {
        EnsureValid();
        return new Iotlb(IotlbEntries, IotlbWays, PageSizes);
    }

    /// <summary>A device micro-TLB / ATC for a device behind this unit; null when the unit has none.</summary>
    public MicroTlb? CreateMicroTlb()
    {
        EnsureValid();
        return MicroTlbEntries == 0 ? null : new MicroTlb(MicroTlbEntries, PageSizes);
    }

    public InvalidationQueue CreateInvalidationQueue(params TranslationCache[] caches)
    {
        EnsureValid();
        return new InvalidationQueue(InvalidationQueueDepth, caches);
    }

    private void EnsureValid()
    {
        if (Validate(out var message) != Errno.None)
            throw new InvalidOperationException($"invalid IOMMU unit capabilities: {message}");
    }
}
