using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Deterministic;

namespace IommuSim.Simulator.Cost;

/// <summary>
/// The simulated time of a run (issue 5, "Time and cost model"): what each step costs on the
/// deterministic dispatcher's virtual clock, read from <c>sim.cost</c> in akka.hocon (which cites
/// where each default comes from). Every cost is in nanoseconds.
/// </summary>
/// <remarks>
/// <para><b>Who charges what.</b> The IOMMU units charge their own hardware steps (IOTLB and
/// micro-TLB hits, walk levels, memory accesses of translated DMA, invalidation commands and
/// syncs) where they happen, with per-unit costs whose defaults are the first six keys of
/// <c>sim.cost</c> (iommusim.iommu.defaults.cost refers to them). <see cref="Attach"/> charges
/// everything else: a hop per delivered message, and the costs <see cref="CostRules"/> gives
/// per message type and per trace event (device faults, mm fault handling, page copies, ATS
/// requests and invalidations, DMA by mirrors and through device ATCs). So each step is charged
/// once, and changing <c>sim.cost</c> changes both.</para>
/// <para><b>When.</b> A delivery's costs are charged when it ends: events published during it
/// carry the time it started, and the next delivery starts after them.</para>
/// </remarks>
public sealed partial class CostModel
{
    /// <summary>Per page an IOTLB hit translates (charged by the units).</summary>
    public double IotlbHitNs { get; private init; }

    /// <summary>Per page a micro-TLB (in the unit) or a device's ATC translates.</summary>
    public double MicroTlbHitNs { get; private init; }

    /// <summary>Per page-table level a walk reads (charged by the units).</summary>
    public double WalkLevelNs { get; private init; }

    /// <summary>Per 4 KiB page a device reads or writes by DMA.</summary>
    public double MemoryAccessNs { get; private init; }

    /// <summary>Per IOTLB invalidation command (charged by the units).</summary>
    public double InvalidationNs { get; private init; }

    /// <summary>Per invalidation-queue sync (charged by the units).</summary>
    public double SyncNs { get; private init; }

    /// <summary>Per message delivered to an actor.</summary>
    public double MessageHopNs { get; private init; }

    /// <summary>Per ATS translation request a device sends to its unit.</summary>
    public double AtsTranslationNs { get; private init; }

    /// <summary>Per ATS invalidation a device's ATC receives.</summary>
    public double AtcInvalidationNs { get; private init; }

    /// <summary>Per device fault (the round trip from the device stalling to the host's answer, without the mm's work).</summary>
    public double DeviceFaultNs { get; private init; }

    /// <summary>Per page of a device fault the mm resolves.</summary>
    public double MmFaultNs { get; private init; }

    /// <summary>Per 4 KiB page migrated between system and device memory.</summary>
    public double PageCopyNs { get; private init; }

    /// <summary>Per TCE exchanged.</summary>
    public double TceExchangeNs { get; private init; }

    /// <summary>Per page whose IOPTE dirty bit is read and cleared.</summary>
    public double DirtyReadClearNs { get; private init; }

    /// <summary>
    /// Charges simulated time on <paramref name="dispatcher"/>'s virtual clock for what happens in
    /// <paramref name="system"/>, until disposed. The dispatcher must be the system's own
    /// (<see cref="ActorSystem.Deterministic"/>): the thread-pool dispatcher has no virtual clock.
    /// </summary>
    public IDisposable Attach(ActorSystem system, DeterministicDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(dispatcher);
        if (!ReferenceEquals(system.Deterministic, dispatcher))
            throw new ArgumentException($"the dispatcher must be the deterministic dispatcher of actor system {system.Name}", nameof(dispatcher));
        return new CostMeter(this, system.EventStream, dispatcher);
    }
}
