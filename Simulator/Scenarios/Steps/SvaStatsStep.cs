using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// <c>sva-stats</c>: the SVA core's counters (<see cref="SvaStats"/>: PASIDs, bonds, domains,
/// domain memory, ...) with, summed over every unit of the machine, the invalidation commands and
/// syncs (<see cref="IommuUnitStats"/>) and the page-request counters (<see cref="UnitIopfStats"/>).
/// The units' counters are the whole unit's: a unit that also serves IOVA domains counts their
/// commands too.
/// </summary>
public sealed class SvaStatsStep(StepInfo info) : Step(info)
{
    private static readonly string[] UnitFields = ["invalidation-commands", "syncs", "atc-invalidations"];

    private static readonly string[] IopfFields = ["pasid-entries", "page-requests", "page-requests-dropped", "page-responses", "pending-faults", "partial-requests", "queued-requests"];

    /// <summary>Every counter the step checks and binds, in kebab-case.</summary>
    public static readonly IReadOnlyList<string> Fields = [.. StatsRecord.Fields(typeof(SvaStats)), .. UnitFields, .. IopfFields];

    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        var machine = ctx.Run.Machine;
        var core = StepContext.Call<SvaStats>(SvaSection.Core(machine), new GetSvaStats());
        yield return core;
        if (!ctx.CheckErrno(this, core.Reply.Errno)) yield break;
        var record = new Dictionary<string, ulong>(StatsRecord.From(core.Reply), StringComparer.Ordinal);
        foreach (var f in UnitFields.Concat(IopfFields)) record[f] = 0;
        foreach (var (_, unit) in machine.Units.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            var stats = StepContext.Call<IommuUnitStats>(unit.Ref, new GetIommuUnitStats());
            yield return stats;
            var iopf = StepContext.Call<UnitIopfStats>(unit.Ref, new GetUnitIopfStats());
            yield return iopf;
            if (stats.Reply.Errno != Errno.None || iopf.Reply.Errno != Errno.None)
                throw new ScenarioRuntimeException($"unit {stats.Reply.Unit} did not answer its counters ({stats.Reply.Errno.Describe()}, {iopf.Reply.Errno.Describe()})");
            Add(record, StatsRecord.From(stats.Reply), UnitFields);
            Add(record, StatsRecord.From(iopf.Reply), IopfFields);
        }
        ctx.CheckAll(this, record);
        ctx.Bind(this, record);
    }

    private static void Add(Dictionary<string, ulong> into, IReadOnlyDictionary<string, ulong> from, IEnumerable<string> fields)
    {
        foreach (var f in fields) into[f] += from[f];
    }
}
