using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events for the simulator's metrics and cost model: when a device fault begins, and how
// the pages of each DMA burst were translated. One event per fault chunk or per burst (never per
// page), published only when EventStream.HasSubscribers says someone listens to the type.

/// <summary>
/// A mirror began the device fault of <paramref name="Range"/> (dmirror_range_fault for one leaf
/// directory): the device stalled on it. The fault ends with the <see cref="MirrorCommitted"/> of
/// the same device, mm and range, after however many retries; a fault that fails commits nothing,
/// and the next fault of the same mirror starts anew.
/// </summary>
public sealed record DeviceFaultStarted(string Device, IActorRef Mm, AddressRange Range, bool Write) : ITraceEvent;

/// <summary>
/// How an IOMMU unit translated one DMA burst (or, when <paramref name="Ats"/>, one ATS
/// translation request) of <paramref name="Device"/>. Every page translated is counted once:
/// a hit in the device's micro-TLB, a hit in the IOTLB, a page the walker translated
/// (<paramref name="WalkedPages"/>: the IOTLB missed it; <paramref name="WalkLevels"/> is the
/// sum of the table levels read), or a page of an identity domain
/// (<paramref name="BypassPages"/>: not looked up). <paramref name="AccessedPages"/> are the
/// pages read or written in memory (0 for ATS, which only translates).
/// </summary>
public sealed record IotlbLookups(
    string Unit,
    string Device,
    bool Ats,
    bool Write,
    int MicroTlbHits,
    int IotlbHits,
    int WalkedPages,
    int WalkLevels,
    int BypassPages,
    int AccessedPages) : ITraceEvent
{
    /// <summary>Pages a translation cache of the unit (micro-TLB or IOTLB) answered.</summary>
    public int Hits => MicroTlbHits + IotlbHits;
}

/// <summary>
/// How a device with an ATC (PCIe ATS) translated one burst: <paramref name="Hits"/> pages from its
/// device TLB, <paramref name="Misses"/> pages from the unit's ATS answers (the unit's
/// <see cref="IotlbLookups"/> with Ats set counts how it translated them), and
/// <paramref name="AccessedPages"/> pages read or written in memory.
/// </summary>
public sealed record DeviceTlbLookups(string Device, bool Write, int Hits, int Misses, int AccessedPages) : ITraceEvent;
