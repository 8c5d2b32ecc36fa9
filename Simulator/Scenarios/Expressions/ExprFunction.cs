using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Expressions;

/// <summary>
/// A function scenario expressions may call. Each argument is a number or the name of an entity
/// of a kind (a mirror, a device) checked when the file is read. Adding a function is one entry
/// in <see cref="All"/>.
/// </summary>
public sealed record ExprFunction(string Name, string Summary, IReadOnlyList<string?> ArgumentKinds, Func<IExprScope, IReadOnlyList<Expr>, ulong> Body)
{
    public ulong Evaluate(IExprScope scope, IReadOnlyList<Expr> args) => Body(scope, args);

    public static readonly IReadOnlyDictionary<string, ExprFunction> All = new[]
    {
        new ExprFunction("iova", "iova(MIRROR, ADDRESS): the IOVA at which the mirror's device reaches ADDRESS (the HMM domain's directory mapping, seed 000)",
            [EntityKinds.Mirror, null], (s, a) => s.IovaOf(((EntityExpr)a[0]).Name, a[1].Evaluate(s))),
        new ExprFunction("random", "random(LO, HI): a number drawn from [LO, HI] with the run's seed",
            [null, null], (s, a) => s.Random(a[0].Evaluate(s), a[1].Evaluate(s))),
        new ExprFunction("min", "min(A, B)", [null, null], (s, a) => Math.Min(a[0].Evaluate(s), a[1].Evaluate(s))),
        new ExprFunction("max", "max(A, B)", [null, null], (s, a) => Math.Max(a[0].Evaluate(s), a[1].Evaluate(s))),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);
}
