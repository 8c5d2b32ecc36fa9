namespace IommuSim.Hardware.Devices;

/// <summary>
/// One DMA-capable device. <see cref="AtcEntries"/> &gt; 0 gives it a PCIe ATC (device TLB) filled
/// by ATS translation requests; <see cref="PrivateMemoryBytes"/> &gt; 0 makes it GPU-like, with its
/// own device-private memory registered in physical memory under <see cref="Name"/>.
/// </summary>
public sealed record DeviceOptions(string Name)
{
    /// <summary>Entries of the device's ATC; 0 for none (every burst is translated by the unit).</summary>
    public int AtcEntries { get; init; }

    /// <summary>Bytes of device-private memory (a multiple of 4 KiB); 0 for none.</summary>
    public ulong PrivateMemoryBytes { get; init; }

    /// <summary>Most bursts the device keeps in flight to the unit at once (no-ATC devices pipeline them).</summary>
    public int MaxBurstsInFlight { get; init; } = 64;

    /// <summary>PASID width of the device's PCIe PASID capability (0..20); 0 for no PASID-tagged DMA.</summary>
    public int PasidBits { get; init; } = 20;

    /// <summary>The device sends PCIe page requests (PRI) when a PASID access cannot be translated.</summary>
    public bool PageRequests { get; init; } = true;

    /// <summary>
    /// Page requests a PASID burst may send for the same page before it gives up with EFAULT (each
    /// SUCCESS response is followed by a retry; one that faults again at the same page counts).
    /// </summary>
    public int MaxPageRequestRetries { get; init; } = 8;
}
