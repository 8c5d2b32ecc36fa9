namespace IommuSim.Messages.Iommufd;

// The device side of a live migration: devices that keep writing guest memory by DMA at a set
// rate until they are quiesced (the VFIO device's STOP state).

/// <summary>The workload starts its periodic DMA writes. No reply.</summary>
public sealed record StartDeviceWrites;

/// <summary>Stop issuing writes; answer once every burst in flight completed. Reply: <see cref="DevicesQuiesced"/>.</summary>
public sealed record QuiesceDevices;

/// <param name="Bursts">Write bursts completed.</param>
/// <param name="PagesWritten">Pages written.</param>
/// <param name="Faults">Bursts that ended in a fault (none while the memory stays mapped).</param>
public sealed record DevicesQuiesced(long Bursts, long PagesWritten, long Faults);
