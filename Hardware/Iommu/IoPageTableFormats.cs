namespace IommuSim.Hardware.Iommu;

/// <summary>
/// Names of I/O page-table formats an IOMMU unit may use, after enum io_pgtable_fmt and the
/// drivers' own formats. The four radix formats are modelled by <see cref="IoPageTable"/>
/// (4 KiB granule); POWER units translate through <see cref="TceTable"/>s instead.
/// </summary>
public static class IoPageTableFormats
{
    /// <summary>x86-64 paging as the Intel VT-d first and second stage use it.</summary>
    public const string X86_64 = "x86_64";
    /// <summary>AMD_IOMMU_V1, the AMD host page table.</summary>
    public const string AmdIommuV1 = "amd_iommu_v1";
    /// <summary>ARM_64_LPAE_S1: SMMU stage 1, the format of the CPU's own tables (SVA capable).</summary>
    public const string Arm64LpaeS1 = "arm_64_lpae_s1";
    /// <summary>ARM_64_LPAE_S2: SMMU stage 2.</summary>
    public const string Arm64LpaeS2 = "arm_64_lpae_s2";
    /// <summary>POWER TCE tables (PHB3/PHB4 DMA windows).</summary>
    public const string PowerTce = "power_tce";

    public static IReadOnlyList<string> All { get; } = [X86_64, AmdIommuV1, Arm64LpaeS1, Arm64LpaeS2, PowerTce];

    public static bool IsKnown(string format) => All.Contains(format);

    /// <summary>Whether <see cref="IoPageTable"/> models the format.</summary>
    public static bool IsRadix(string format) => format is X86_64 or AmdIommuV1 or Arm64LpaeS1 or Arm64LpaeS2;

    /// <summary>Formats that can walk a CPU page table, the condition for SVA.</summary>
    public static bool SharesCpuPageTable(string format) => format is X86_64 or Arm64LpaeS1;
}
