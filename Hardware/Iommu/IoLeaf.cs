using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>One leaf IOPTE as <see cref="IoPageTable.EnumerateLeaves"/> reports it.</summary>
public readonly record struct IoLeaf(Iova Iova, PhysAddr Phys, PageSize Size, IoProt Prot, bool Dirty)
{
    public ulong End => Iova.Value + Size.Bytes;
}
