namespace IommuSim.Hardware.Iommu;

/// <summary>
/// IOMMU_READ / IOMMU_WRITE (include/linux/iommu.h) with the kernel's bit values: the access a
/// mapping grants, and the access a DMA request asks for. A request needs every bit it carries.
/// </summary>
[Flags]
public enum IoProt : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}
