using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;

namespace IommuSim.Simulator.Cost;

/// <summary>
/// What a delivered message or a trace event costs, beyond the hop every delivery costs. Rules are
/// keyed by the exact runtime type. Giving a new message or event a cost is one line in
/// <see cref="For"/>; the dirty read-and-clear cost is read from <c>sim.cost</c> already and
/// gets its line when the iommufd dirty-tracking messages exist.
/// Hardware steps the IOMMU units charge themselves (see <see cref="CostModel"/>) have no rule.
/// </summary>
public sealed class CostRules
{
    private readonly Dictionary<Type, Func<object, double>> _messages = [];
    private readonly Dictionary<Type, Func<object, double>> _events = [];

    /// <summary>The rules of the model <paramref name="c"/>.</summary>
    public static CostRules For(CostModel c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new CostRules()
            // hmm_range_fault: the mm resolves every page of the chunk (handle_mm_fault).
            .Message<RangeFault>(m => c.MmFaultNs * m.Range.Pages)
            // migrate_vma_pages: every page moved is copied.
            .Message<MigrateReply>(m => c.PageCopyNs * m.MigratedPages)
            // A PCIe ATS Translation Request and its Completion.
            .Message<AtsTranslate>(_ => c.AtsTranslationNs)
            // A PCIe ATS Invalidate Request reaching the device, and its Completion.
            .Message<AtcInvalidate>(_ => c.AtcInvalidationNs)
            // The device stalls until the host answers its fault (replayable fault, PRI).
            .Event<DeviceFaultStarted>(_ => c.DeviceFaultNs)
            // A mirror's device reads or writes a page through its own page table.
            .Event<DmaAccess>(_ => c.MemoryAccessNs)
            // A device with an ATC translates by itself and accesses memory with the result.
            .Event<DeviceTlbLookups>(e => (c.MicroTlbHitNs * e.Hits) + (c.MemoryAccessNs * e.AccessedPages))
            // read_and_clear_dirty (seed 004): every dirty IOPTE a read finds is read and cleared (NO_CLEAR: read only, same walk).
            .Event<DirtyBitsRead>(e => c.DirtyReadClearNs * e.Leaves.Count)
            // An ATS/PRI page request: the device stalls until its page group response comes back
            // (queue, interrupt, iopf work item, response), as a device fault (sim.cost.device-fault).
            .Event<PageRequestQueued>(_ => c.DeviceFaultNs)
            // iommu_sva_iopf_handler: the mm resolves each faulting page (handle_mm_fault).
            .Message<SvaHandleFaults>(m => c.MmFaultNs * m.Faults.Count)
            // A VFIO sPAPR container's batch of TCE exchanges (iommu_tce_xchg_no_kill per entry:
            // MAP_DMA, UNMAP_DMA, a rollback, a detach); the kill and its sync the PHB charges.
            .Event<TceEntriesExchanged>(e => c.TceExchangeNs * e.Exchanges.Count);
    }

    /// <summary>Costs each delivered <typeparamref name="T"/> what <paramref name="cost"/> says, in ns.</summary>
    public CostRules Message<T>(Func<T, double> cost) where T : class
    {
        ArgumentNullException.ThrowIfNull(cost);
        _messages.Add(typeof(T), m => cost((T)m));
        return this;
    }

    /// <summary>Costs each published <typeparamref name="T"/> what <paramref name="cost"/> says, in ns.</summary>
    public CostRules Event<T>(Func<T, double> cost) where T : class, ITraceEvent
    {
        ArgumentNullException.ThrowIfNull(cost);
        _events.Add(typeof(T), e => cost((T)e));
        return this;
    }

    /// <summary>The trace event types that have a cost: the meter subscribes to exactly these, so publishers of others build nothing for it.</summary>
    public IEnumerable<Type> EventTypes => _events.Keys;

    /// <summary>The cost of delivering <paramref name="message"/> beyond the hop (0 when it has no rule).</summary>
    public double OfMessage(object message) =>
        _messages.TryGetValue(message.GetType(), out var cost) ? cost(message) : 0;

    /// <summary>The cost of the trace event <paramref name="traceEvent"/> (0 when it has no rule).</summary>
    public double OfEvent(object traceEvent) =>
        _events.TryGetValue(traceEvent.GetType(), out var cost) ? cost(traceEvent) : 0;
}
