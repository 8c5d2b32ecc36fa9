using IommuSim.Messages;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// Asks an actor for its counters (<c>mm-stats</c>, <c>mirror-stats</c>, ...): every counter named
/// in the expect block is checked, and the record is bound to the step's name so that later steps
/// can compare with it (<c>less-than = eager.table-directories-allocated</c>).
/// </summary>
public sealed class StatsStep<T>(StepInfo info, string entity, Func<Machine, string, IActorRef> target, object request) : Step(info)
    where T : class, IReply
{
    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        var call = StepContext.Call<T>(target(ctx.Run.Machine, entity), request);
        yield return call;
        if (!ctx.CheckErrno(this, call.Reply.Errno)) yield break;
        var record = StatsRecord.From(call.Reply);
        ctx.CheckAll(this, record);
        ctx.Bind(this, record);
    }

    /// <summary>The kind of a stats step on entities of <paramref name="entityKind"/> named by <paramref name="key"/>.</summary>
    public static StepKind Kind(string op, string family, string key, string entityKind, Func<Machine, string, IActorRef> target, object request)
    {
        var fields = StatsRecord.Fields(typeof(T));
        return new StepKind(op, family,
            $"{op} {{ {key} = NAME, expect {{ {string.Join(", ", fields.Take(4))}, ... }} }}: the {typeof(T).Name} counters ({string.Join(", ", fields)})",
            StepKind.Counters(fields), ValueShape.Record(fields),
            r => r.Entity(key, entityKind) is { } name ? new StatsStep<T>(r.Info, name, target, request) : null);
    }
}
