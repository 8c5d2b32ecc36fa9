namespace IommuSim.Actors.Sva;

/// <summary>
/// The SVA core's settings (<c>iommusim.sva</c>, read by <see cref="SvaSettings"/>): domain sharing,
/// the global PASID range, what a domain costs in memory, and a bug-injection switch.
/// </summary>
public sealed record SvaOptions
{
    public static SvaOptions Default { get; } = new();

    public SvaDomainSharing DomainSharing { get; init; } = SvaDomainSharing.PerUnit;

    /// <summary>Lowest PASID handed out (IOMMU_FIRST_GLOBAL_PASID is 1: 0 is IOMMU_NO_PASID).</summary>
    public uint PasidMin { get; init; } = 1;

    /// <summary>Highest PASID handed out (a 20-bit PASID space ends at 0xFFFFF).</summary>
    public uint PasidMax { get; init; } = (1u << 20) - 1;

    /// <summary>
    /// Memory of one SVA domain: struct iommu_domain with the driver's domain around it. Seed 002's
    /// review calls it "very small" and duplicates it per unit; it owns no I/O page table, as it
    /// walks the mm's CPU page table.
    /// </summary>
    public int DomainBytes { get; init; } = 512;

    /// <summary>Memory a shared domain keeps per unit it spans (its id and invalidation bookkeeping there, Intel's iommu_domain_info).</summary>
    public int UnitRecordBytes { get; init; } = 64;

    /// <summary>
    /// Bug injection, off in every correct configuration: an SVA domain answers an mm invalidation
    /// with its fence without invalidating its PASID's IOTLB and device-TLB entries, so a device
    /// can still reach a page the mm then frees.
    /// </summary>
    public bool SkipPasidInvalidation { get; init; }

    /// <summary>An error message for an impossible combination, or null.</summary>
    public string? Validate() =>
        PasidMin == 0 ? "pasid-min must be at least 1 (PASID 0 is IOMMU_NO_PASID)"
        : PasidMax < PasidMin ? $"pasid-max {PasidMax} is below pasid-min {PasidMin}"
        : PasidMax >= 1u << 20 ? $"pasid-max {PasidMax} does not fit the 20-bit PCIe PASID"
        : DomainBytes < 0 || UnitRecordBytes < 0 ? "domain memory cannot be negative"
        : null;
}
