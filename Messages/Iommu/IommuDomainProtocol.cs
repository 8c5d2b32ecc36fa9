using IommuSim.Messages;

namespace IommuSim.Messages.Iommu;

// Requests to an IommuDomainActor (struct iommu_domain; drivers/iommu/iommu.c).

/// <summary>Domain types of include/linux/iommu.h (SVA arrives with seed 002).</summary>
public enum IommuDomainType
{
    Blocked,
    Identity,
    Unmanaged,
    Dma,
    DmaFlushQueue,
    Sva,
}

/// <summary>IOMMU_READ / IOMMU_WRITE.</summary>
[Flags]
public enum IommuProt
{
    None = 0,
    Read = 1,
    Write = 2,
}

/// <summary>iommu_map: maps [iova, iova+size) to physical memory. Reply: <see cref="Done"/>.</summary>
public sealed record IommuMap(Iova Iova, PhysAddr Phys, ulong Size, IommuProt Prot);

/// <summary>iommu_unmap: unmaps, flushes and syncs the IOTLB before answering. Reply: <see cref="IommuUnmapped"/>.</summary>
public sealed record IommuUnmap(Iova Iova, ulong Size);

/// <summary>Bytes actually unmapped (iommu_unmap's return value).</summary>
public sealed record IommuUnmapped(Errno Errno, ulong Size) : IReply;

/// <summary>Attach a device to the domain if the domain's unit and configuration fit ("can attach"), else -EINVAL. Reply: <see cref="Done"/>.</summary>
public sealed record AttachDevice(string DeviceName, string UnitName);

public sealed record DetachDevice(string DeviceName);

/// <summary>A device's translation request (a page walk after an IOTLB miss). Reply: <see cref="Translation"/>.</summary>
public sealed record Translate(Iova Iova, bool Write);

/// <summary>The translation, or EFAULT/EPERM for a fault; <paramref name="Levels"/> page-table levels were walked.</summary>
public sealed record Translation(Errno Errno, PhysAddr Phys, ulong PageSize, IommuProt Prot, int Levels) : IReply;
