namespace IommuSim.Messages;

/// <summary>
/// enum dma_data_direction (include/linux/dma-direction.h), with the kernel's values.
/// TO_DEVICE: the device reads memory; FROM_DEVICE: the device writes memory.
/// </summary>
public enum DmaDirection
{
    Bidirectional = 0,
    ToDevice = 1,
    FromDevice = 2,
    None = 3,
}

public static class DmaDirectionExtensions
{
    /// <summary>The device may write the page: its release must mark it dirty (seed 003, iommu_tce_xchg).</summary>
    public static bool DeviceMayWrite(this DmaDirection d) => d is DmaDirection.FromDevice or DmaDirection.Bidirectional;

    public static bool DeviceMayRead(this DmaDirection d) => d is DmaDirection.ToDevice or DmaDirection.Bidirectional;

    public static string KernelName(this DmaDirection d) => d switch
    {
        DmaDirection.Bidirectional => "DMA_BIDIRECTIONAL",
        DmaDirection.ToDevice => "DMA_TO_DEVICE",
        DmaDirection.FromDevice => "DMA_FROM_DEVICE",
        _ => "DMA_NONE",
    };
}
