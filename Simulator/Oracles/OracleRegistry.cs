using IommuSim.Actors.Oracle;
using IommuSim.Runtime;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Oracles;

/// <summary>What an oracle may watch: the run's actor system (its event stream) and its machine (memory, actors).</summary>
public sealed record OracleContext(ActorSystem System, Machine Machine);

/// <summary>An invariant checker the runner attaches to every run, before any actor starts.</summary>
public sealed record OracleEntry(string Invariant, string Description, Func<OracleContext, IInvariantOracle> Attach);

/// <summary>
/// Every invariant checker of a run. Other pieces' oracles (pinned pages = valid TCEs, lost dirty
/// bits, SVA refcounts) join with one entry each.
/// </summary>
public static class OracleRegistry
{
    public static readonly IReadOnlyList<OracleEntry> All =
    [
        new(DmaSafetyOracle.InvariantName,
            "no device reads or writes a page after the invalidation (or the iommu_unmap) that removed its mapping completed",
            c => DmaSafetyOracle.Attach(c.System.EventStream)),
        new(MemoryOracle.InvariantName,
            "no operation on a freed frame, no page freed while pinned, every pin released, every page freed at teardown",
            c => new MemoryOracle(c.Machine.Memory)),
        new(DirtyTrackingOracle.InvariantName,
            "every device write while dirty tracking is on is reported by exactly one read-and-clear: no dirty bit lost, none reported twice",
            c => DirtyTrackingOracle.Attach(c.System.EventStream)),
        new(IoasPinOracle.InvariantName,
            "pages pinned by an IOAS = pages of its mapped areas, each area mapped in every attached domain, every pin released at teardown",
            c => IoasPinOracle.Attach(c.System.EventStream, c.Machine.Memory)),
        new("no-iopf-response-after-unbind",
            "no I/O page fault is answered after its PASID was unbound, and an unbind leaves none of its faults unanswered (iommu_sva_unbind_device's flush)",
            c => IopfResponseOracle.Attach(c.System.EventStream)),
        new("sva-refcounts-zero-at-teardown",
            "a PASID belongs to one mm at a time; bond, domain and mm references never go negative and are all gone at teardown",
            c => SvaRefcountOracle.Attach(c.System.EventStream)),
        new(TcePinOracle.PinInvariant,
            "VFIO sPAPR containers: pinned pages equal valid TCEs whenever a request is answered, every pin released exactly once, " +
            "a page released from a TCE the device could write is dirty (tce-dirty-on-release), no DMA through a TCE whose pin was released",
            c => TcePinOracle.Attach(c.System.EventStream, c.Machine.Memory)),
    ];

    public static IReadOnlyList<IInvariantOracle> AttachAll(OracleContext context) => [.. All.Select(e => e.Attach(context))];
}
