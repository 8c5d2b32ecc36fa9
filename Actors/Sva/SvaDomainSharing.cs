namespace IommuSim.Actors.Sva;

/// <summary>
/// How SVA domains relate to IOMMU units (seed 002's open question, <c>iommusim.sva.domain-sharing</c>).
/// </summary>
public enum SvaDomainSharing
{
    /// <summary>
    /// A domain belongs to one unit (the review's model and today's kernel: arm_smmu_attach_dev
    /// refuses a domain of another SMMU): an mm bound to devices behind N units has N domains.
    /// </summary>
    PerUnit,

    /// <summary>One domain per mm spans every unit its devices sit behind (the seed's first version: one domain per PASID).</summary>
    Shared,
}
