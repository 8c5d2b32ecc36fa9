using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>A cached translation as <see cref="TranslationCache.EnumerateEntries"/> lists it (for oracles and reports).</summary>
public readonly record struct IotlbEntryInfo(uint DomainId, Pasid Pasid, Iova Iova, PageSize PageSize, PhysAddr PageBase, IoProt Prot, bool Dirty);
