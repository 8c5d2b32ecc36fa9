using IommuSim.Messages;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// What a running step sees: the run (machine, bound names, results) and whether it runs alone
/// (<see cref="Sequential"/>: not inside a parallel block or a workload), which is when the cheap
/// "a failed call changes nothing" comparison is sound.
/// </summary>
public sealed class StepContext(ScenarioRun run, bool sequential, Bindings bindings) : IExprScope
{
    public ScenarioRun Run { get; } = run;

    public bool Sequential { get; } = sequential;

    /// <summary>The names this script sees and binds.</summary>
    public Bindings Bindings { get; } = bindings;

    /// <summary>The context of a script started concurrently with this one: not alone, with a scope of names of its own.</summary>
    public StepContext Branch() => new(Run, false, Bindings.Branch());

    public ulong Lookup(string name, string? field) => Bindings.Lookup(name, field);

    public ulong Index(string name, ulong index) => Bindings.Index(name, index);

    public ulong Random(ulong lo, ulong hi) => Run.Random(lo, hi);

    public ulong IovaOf(string mirror, ulong address) => Run.IovaOf(mirror, address);

    public static Call<T> Call<T>(IActorRef target, object message) where T : class => new(target, message);

    public ulong Eval(Expr e) => e.Evaluate(this);

    public ulong? EvalOrNull(Expr? e) => e?.Evaluate(this);

    public ulong[] Eval(ListExpr e) => e.Evaluate(this);

    /// <summary>Checks the reply's errno against the step's expectation; true when the call succeeded (so its values can be checked).</summary>
    public bool CheckErrno(Step step, Errno errno)
    {
        var expect = step.Info.Expect;
        Run.Check(step, expect.Errno, "errno", errno, this);
        return errno == Errno.None;
    }

    /// <summary>Checks one value of the reply if the step's expect block names <paramref name="key"/>.</summary>
    public void Check(Step step, string key, object actual)
    {
        if (step.Info.Expect.Checks.TryGetValue(key, out var matcher)) Run.Check(step, matcher, key, actual, this);
    }

    /// <summary>Checks every counter of a stats record the expect block names.</summary>
    public void CheckAll(Step step, IReadOnlyDictionary<string, ulong> fields)
    {
        foreach (var (key, matcher) in step.Info.Expect.Checks)
            if (fields.TryGetValue(key, out var v)) Run.Check(step, matcher, key, v, this);
    }

    /// <summary>Binds the step's result to its name, if it has one.</summary>
    public void Bind(Step step, object value)
    {
        if (step.Info.Name is { } name) Bindings.Set(name, value);
    }
}
