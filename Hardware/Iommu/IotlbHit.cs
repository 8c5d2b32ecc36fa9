using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>One cached translation as a lookup returns it.</summary>
/// <param name="Phys">The translated address of the looked-up IOVA (page base plus offset).</param>
/// <param name="Dirty">Whether the leaf was known dirty when cached: a write hit on a clean entry
/// must walk again to set the IOPTE dirty bit, as dirty-tracking hardware does.</param>
public readonly record struct IotlbHit(PhysAddr Phys, PhysAddr PageBase, PageSize PageSize, IoProt Prot, bool Dirty);
