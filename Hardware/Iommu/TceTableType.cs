namespace IommuSim.Hardware.Iommu;

/// <summary>
/// it_type of struct iommu_table (arch/powerpc/include/asm/tce.h), with the kernel's values.
/// The SWINV flags say the PHB caches TCEs and software must invalidate after creating
/// (SwinvCreate) or freeing (SwinvFree) entries.
/// </summary>
[Flags]
public enum TceTableType
{
    /// <summary>TCE_VB: virtual bus table.</summary>
    Vb = 0,
    /// <summary>TCE_PCI.</summary>
    Pci = 1,
    /// <summary>TCE_PCI_SWINV_CREATE.</summary>
    PciSwinvCreate = 2,
    /// <summary>TCE_PCI_SWINV_FREE.</summary>
    PciSwinvFree = 4,
    /// <summary>TCE_PCI_SWINV_PAIR.</summary>
    PciSwinvPair = 8,
}
