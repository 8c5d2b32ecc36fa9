using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// One IOMMU hardware block (an SMMUv3, a VT-d DMAR unit): the stream table / context entries
/// that send each device's DMA to its domain, the IOTLB and a micro-TLB per device, the page
/// walker, the invalidation queue with its syncs, and the fault queue.
/// </summary>
/// <remarks>
/// <para><b>Translation path.</b> A device hands a whole burst to the unit in one message
/// (<see cref="UnitDma"/>); each page is looked up in the device's micro-TLB, then the IOTLB, and
/// on a miss the walker asks the device's domain to walk its page table
/// (<see cref="TranslateRange"/>: the table belongs to the domain actor, as an io-pgtable belongs
/// to its iommu_domain). The burst waits for the walk; other bursts queue behind it (one walker),
/// while invalidations, syncs and attaches go on. Each translated page is then read or written in
/// physical memory in the same step, as an untranslated request passes through the IOMMU to
/// memory. A device with an ATC translates through <see cref="AtsTranslate"/> instead.</para>
/// <para><b>Why a walk result cannot be stale.</b> A domain changes its table before it sends the
/// invalidation for the change, and its messages to the unit arrive in order: a walk answered
/// before an unmap reaches the unit before that unmap's invalidation, which then removes what
/// the walk filled; a walk answered after the unmap already sees the hole.</para>
/// <para><b>Invalidation.</b> Commands go through an <see cref="InvalidationQueue"/> whose sync
/// applies them to the IOTLB and every micro-TLB; a sync then sends ATS invalidations to the
/// ATC of each device behind the unit and answers only when all have acknowledged, in the order
/// the syncs were issued (arm_smmu_cmdq_issue_cmdlist with sync, then arm_smmu_atc_inv_domain;
/// qi_submit_sync with dev-IOTLB descriptors). So once a domain's unmap is answered no IOTLB,
/// micro-TLB or ATC can still translate the IOVA.</para>
/// </remarks>
public sealed partial class IommuUnitActor : ReceiveActor
{
    private static readonly Pasid NoPasid = Pasid.Invalid;

    private readonly IommuUnitConfig _config;
    private readonly IommuUnitCapabilities _caps;
    private readonly PhysicalMemory _memory;
    private readonly Iotlb _iotlb;
    private readonly InvalidationQueue _queue;

    private long _microTlbHits;
    private long _walks;
    private long _walkLevels;
    private long _bypassPages;
    private long _dmaPages;

    // Costs are nanoseconds, the virtual clock counts 100 ns ticks: the remainder carries over.
    private double _pendingCostNs;

    public IommuUnitActor(IommuUnitConfig config, PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(memory);
        _config = config;
        _caps = config.Capabilities;
        _memory = memory;
        _iotlb = _caps.CreateIotlb();
        _queue = _caps.CreateInvalidationQueue(_iotlb);

        Receive<UnitDma>(OnUnitDma);
        Receive<AtsTranslate>(OnAtsTranslate);
        Receive<RangeTranslation>(OnRangeTranslation);
        Receive<IotlbInvalidate>(OnIotlbInvalidate);
        Receive<AtcInvalidated>(OnAtcInvalidated);
        Receive<ProbeDevice>(OnProbeDevice);
        Receive<UnitAttachDevice>(OnAttachDevice);
        Receive<UnitDetachDevice>(OnDetachDevice);
        Receive<UnitProbe>(OnProbe);
        Receive<ReadUnitFaults>(_ => Sender.Tell(DrainFaults(), Self));
        Receive<GetIommuUnitStats>(_ => Sender.Tell(Stats(), Self));
        Receive<Terminated>(OnTerminated);
        Receive<ResumeWalker>(_ => RunWaiting());
        Receive<UnitSvaInfo>(OnSvaInfo);
        Receive<UnitSetDevPasid>(OnSetDevPasid);
        Receive<UnitRemoveDevPasid>(OnRemoveDevPasid);
        Receive<UnitPasidDma>(OnUnitPasidDma);
        Receive<SvaWalked>(OnSvaWalked);
        Receive<IopfGroupResponse>(OnIopfGroupResponse);
        Receive<DrainPageRequestQueue>(_ => DrainPageRequests());
        Receive<GetUnitIopfStats>(_ => Sender.Tell(IopfStats(), Self));
    }

    public static Props Props(IommuUnitConfig config, PhysicalMemory memory) =>
        Runtime.Props.Create(() => new IommuUnitActor(config, memory));

    /// <summary>Creates the unit's actor (named after the unit) and returns its handle.</summary>
    public static IommuUnitHandle Create(IActorRefFactory factory, IommuUnitConfig config, PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(config);
        var actor = factory.ActorOf(Props(config, memory), config.Name);
        return new IommuUnitHandle(config.Name, actor, config.Capabilities);
    }

    private IommuUnitStats Stats() => new(
        Errno.None,
        _config.Name,
        _iotlb.Hits,
        _iotlb.Misses,
        _microTlbHits,
        _walks,
        _walkLevels,
        _queue.Commands,
        _queue.Syncs,
        _atcInvalidations,
        _faultCount,
        _bypassPages,
        _dmaPages,
        _domainIds.Count,
        _iotlb.ValidEntries);

    /// <summary>Adds simulated time; charged to the deterministic dispatcher's clock in whole ticks.</summary>
    private void Charge(double nanoseconds)
    {
        if (Context.System.Deterministic is not { } d) return;
        _pendingCostNs += nanoseconds;
        var ticks = (long)(_pendingCostNs / 100);
        if (ticks == 0) return;
        _pendingCostNs -= ticks * 100.0;
        d.Charge(TimeSpan.FromTicks(ticks));
    }

    private static IoProt ToIoProt(IommuProt prot) => (IoProt)(int)prot;

    private static IommuProt ToIommuProt(IoProt prot) => (IommuProt)(int)prot;
}
