using IommuSim.Messages;

namespace IommuSim.Messages.Iommu;

// Requests to a DeviceActor (a DMA engine behind an IOMMU unit) and the device's side of ATS
// invalidation. Bursts are in 4 KiB pages; each page access reads or writes the page's one
// 64-bit value in physical memory.

/// <summary>The device reads <paramref name="Pages"/> pages from <paramref name="Iova"/> (DMA_TO_DEVICE). Reply: <see cref="DmaCompleted"/> with one value per page read.</summary>
public sealed record DmaRead(Iova Iova, int Pages);

/// <summary>The device writes one value per page from <paramref name="Iova"/> (DMA_FROM_DEVICE). Reply: <see cref="DmaCompleted"/>.</summary>
public sealed record DmaWrite(Iova Iova, IReadOnlyList<ulong> Values);

/// <summary>
/// The end of a burst. On a fault the burst stopped at page <paramref name="Pages"/>: the pages
/// before it were accessed (their values read, or written), that one and the rest were not.
/// <see cref="IReply.Errno"/>: EFAULT for a page with no translation (or a blocked device), EPERM
/// for a write to a read-only mapping, EIO when the translated frame is not live memory (the
/// model refuses a DMA to a freed page that real hardware would perform), EINVAL for a malformed
/// burst (not page aligned, empty, wrapping, too long).
/// </summary>
public sealed record DmaCompleted(Errno Errno, Iova Iova, int Pages, IReadOnlyList<ulong> Values) : IReply
{
    /// <summary>The IOVA of the page that faulted (or where the burst would have continued).</summary>
    public Iova StoppedAt => Iova + ((ulong)Pages << PageSize.BaseShift);
}

/// <summary>
/// An ATS invalidation request from the unit to a device with an ATC: drop the matching entries,
/// then answer <see cref="AtcInvalidated"/> (the ATS invalidation completion the unit's sync waits for).
/// <paramref name="DomainId"/> is the unit's id of the domain the command is for.
/// </summary>
public sealed record AtcInvalidate(IotlbInvalidation Command, uint DomainId, long Sequence);

public sealed record AtcInvalidated(string DeviceName, long Sequence);

/// <summary>Whether the device's ATC would translate the IOVA now (no LRU or counter change). Reply: <see cref="DeviceTlbProbeResult"/>.</summary>
public sealed record DeviceTlbProbe(Iova Iova);

public sealed record DeviceTlbProbeResult(Errno Errno, bool Hit, PhysAddr Phys) : IReply;

/// <summary>The device reads its own private memory (no IOMMU on the way): one value per frame from <paramref name="Pfn"/>. Reply: <see cref="DmaCompleted"/>.</summary>
public sealed record LocalRead(Pfn Pfn, int Pages);

/// <summary>The device writes its own private memory. Reply: <see cref="DmaCompleted"/>.</summary>
public sealed record LocalWrite(Pfn Pfn, IReadOnlyList<ulong> Values);

/// <summary>Asks the device for its counters. The device answers only once its unit has probed it. Reply: <see cref="DeviceStats"/>.</summary>
public sealed record GetDeviceStats;

/// <param name="Bursts">DMA bursts completed (faulted ones included).</param>
/// <param name="PagesRead">Pages read by DMA.</param>
/// <param name="PagesWritten">Pages written by DMA.</param>
/// <param name="Faults">Bursts stopped by a fault.</param>
/// <param name="AtcHits">Pages translated by the device's own ATC.</param>
/// <param name="AtsRequests">ATS translation requests sent to the unit.</param>
/// <param name="AtcInvalidations">ATC invalidations received (each acknowledged).</param>
/// <param name="PrivateBasePfn">First frame of the device's private memory (null without one).</param>
/// <param name="PrivateFrames">Frames of private memory.</param>
public sealed record DeviceStats(
    Errno Errno,
    string Device,
    long Bursts,
    long PagesRead,
    long PagesWritten,
    long Faults,
    long AtcHits,
    long AtsRequests,
    long AtcInvalidations,
    Pfn? PrivateBasePfn,
    ulong PrivateFrames) : IReply;
