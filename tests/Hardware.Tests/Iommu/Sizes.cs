using IommuSim.Messages;

namespace IommuSim.Hardware.Tests.Iommu;

/// <summary>Byte sizes and short constructors the IOMMU tests share.</summary>
internal static class Sizes
{
    public const ulong K4 = 0x1000;
    public const ulong M2 = 0x20_0000;
    public const ulong G1 = 0x4000_0000;

    public static Iova Iova(ulong value) => new(value);
    public static PhysAddr Phys(ulong value) => new(value);
}
