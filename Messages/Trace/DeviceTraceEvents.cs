using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of the IOMMU side: device DMA through a unit (or a device's own ATC), faults,
// IOTLB flushes, and IOVA ranges mapped and unmapped in a domain. With the mm's PageFreed and
// InvalidationEnded they let an oracle check that no device touches a page after the
// invalidation (or the iommu_unmap) that removed its mapping completed. Publishers check
// EventStream.HasSubscribers once per burst or request.

/// <summary>
/// One page a device read or wrote by DMA. <paramref name="Domain"/> translated
/// <paramref name="Iova"/> to <paramref name="Pfn"/> (null for a device with no domain on the way,
/// e.g. its own memory); <paramref name="Generation"/> and <paramref name="PageLive"/> are the
/// frame's state at the access (PhysicalMemory.PageGeneration / IsPageLive).
/// <paramref name="ViaDeviceTlb"/>: the translation came from the device's ATC, not the unit.
/// </summary>
public sealed record DeviceDma(
    string Device,
    IActorRef? Domain,
    Iova Iova,
    Pfn Pfn,
    int Generation,
    bool PageLive,
    bool Write,
    bool ViaDeviceTlb) : ITraceEvent;

/// <summary>A burst stopped on a translation fault (or a dead frame, EIO).</summary>
public sealed record DeviceDmaFault(string Device, IActorRef? Domain, Iova Iova, bool Write, Errno Errno) : ITraceEvent;

/// <summary>
/// A sync of the unit's invalidation queue completed: the commands (and every earlier one) have
/// taken effect in the IOTLB, the micro-TLBs and the <paramref name="DeviceTlbs"/> ATCs that
/// acknowledged. <paramref name="Domain"/> is the domain that asked (null for the unit's own flushes).
/// </summary>
public sealed record IotlbFlushed(string Unit, IActorRef? Domain, uint DomainId, IReadOnlyList<IotlbInvalidation> Commands, int DeviceTlbs) : ITraceEvent;

/// <summary>A domain mapped [Iova.Start, Iova.End) (iommu_map, the DMA API, a directory map).</summary>
public sealed record IovaMapped(IActorRef Domain, AddressRange Iova, PhysAddr Phys) : ITraceEvent;

/// <summary>
/// A domain answered the unmap of <paramref name="Iova"/>: from now on no device may translate an
/// address in it (until it is mapped again). <paramref name="Synced"/> is false when the reply
/// came before the IOTLB sync (a DMA-FQ lazy unmap, or an injected bug).
/// </summary>
public sealed record IovaUnmapped(IActorRef Domain, AddressRange Iova, bool Synced) : ITraceEvent;
