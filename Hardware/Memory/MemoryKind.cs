namespace IommuSim.Hardware.Memory;

/// <summary>
/// What kind of memory a frame pool holds. Device memory is modelled as
/// MEMORY_DEVICE_PRIVATE (include/linux/memremap.h): pages with struct pages and pfns of
/// their own that the CPU cannot access directly, the memory lib/test_hmm.c's dmirror
/// migrates to.
/// </summary>
public enum MemoryKind
{
    /// <summary>Ordinary host RAM ("System RAM" in /proc/iomem).</summary>
    SystemRam,

    /// <summary>A device's memory (a GPU's VRAM) exposed as MEMORY_DEVICE_PRIVATE pages.</summary>
    DevicePrivate,
}
