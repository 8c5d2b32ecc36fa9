using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// Steps that hold steps: <c>parallel</c> (send all, then wait for all: the interleavings the
/// deterministic dispatcher explores), <c>sequence</c> (in order, <c>repeat</c> times), and
/// <c>workload</c> (an operation mix at rates over a span of simulated time); and <c>sleep</c>.
/// </summary>
public static class ControlSteps
{
    public const string Family = "control";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("parallel", Family,
            "parallel = [ STEP, ... ] or parallel { NAME { STEP }, ... }: start every branch at once, then wait for all",
            StepKind.NoExpectations, null, ParseParallel) { Shorthand = true });
        c.Add(new StepKind("sequence", Family,
            "sequence = [ STEP, ... ], repeat = N: the steps in order, N times (a branch of several steps)",
            StepKind.NoExpectations, null, ParseSequence) { Shorthand = true });
        c.Add(new StepKind("workload", Family,
            "workload { duration = 1ms, operations = [ { rate = 100000 | every = 10us, step { ... } }, ... ] }: each operation started at its rate (per simulated second, Poisson from the seed) or period until the span ends, concurrently",
            StepKind.NoExpectations, null, ParseWorkload));
        c.Add(new StepKind("eval", Family,
            "eval { value = EXPR, name, expect { value = EXPR } }: computes a value (compare two IOVAs, a difference of counters) and binds it",
            StepKind.Expect(("value", Expectations.ExpectType.Number)), ValueShape.Number,
            r => r.Expr("value") is { } e ? new EvalStep(r.Info, e) : null));
        c.Add(new StepKind("sleep", Family,
            "sleep { duration = 10us }: let simulated time pass",
            StepKind.NoExpectations, null, r => r.Object.Duration("duration") is { } d ? new SleepStep(r.Info, d) : Missing(r, "duration")));
    }

    private static Step? Missing(StepReader r, string key)
    {
        r.Object.Require(key, "a duration such as 10us");
        return null;
    }

    private static Step? ParseParallel(StepReader r)
    {
        var branches = new List<Step>();
        var scopes = new List<Symbols>();
        var value = r.Object.Value("parallel") ?? r.Object.Value("steps");
        var key = r.Object.Has("parallel") ? "parallel" : "steps";
        if (value is ConfigObject)
        {
            // Named branches: each a step, or a list of steps run in order.
            var section = r.Object.Object(key, $"{r.Object.What} {key}")!;
            foreach (var name in section.Keys)
            {
                var scope = r.Symbols.Branch();
                scopes.Add(scope);
                if (section.Value(name) is ConfigArray)
                {
                    var branchInfo = r.Info with { Op = "sequence", Text = name, Position = section.PositionOf(name), Context = r.Info.ChildContext };
                    var steps = r.Catalogue.ReadSteps(section, name, scope, branchInfo.ChildContext);
                    branches.Add(new SequenceStep(branchInfo, steps, 1));
                }
                else if (section.Object(name, $"step {name}") is { } step && r.Catalogue.Read(step, scope, name, r.Info.ChildContext) is { } s)
                {
                    branches.Add(s);
                }
            }
        }
        else
        {
            foreach (var step in r.Object.ObjectList(key, $"{r.Object.What} {key}"))
            {
                var scope = r.Symbols.Branch();
                scopes.Add(scope);
                if (r.Catalogue.Read(step, scope, null, r.Info.ChildContext) is { } s) branches.Add(s);
            }
        }
        foreach (var scope in scopes)
            foreach (var (kind, name, position) in r.Symbols.MergeFrom(scope))
                r.Object.Error(position, $"{kind} '{name}' is created by two branches of this parallel block");
        if (branches.Count == 0 && !r.Diagnostics.HasErrors) r.Object.Error(key, "a parallel block needs at least one branch");
        return new ParallelStep(r.Info, branches);
    }

    private static Step? ParseSequence(StepReader r)
    {
        var key = r.Object.Has("sequence") ? "sequence" : "steps";
        var repeat = r.Object.Int("repeat", 1, 1_000_000) ?? 1;
        var steps = r.Steps(key, r.Symbols);
        return new SequenceStep(r.Info, steps, (int)repeat);
    }

    private static Step? ParseWorkload(StepReader r)
    {
        var duration = r.Object.Duration("duration");
        if (duration is null)
        {
            r.Object.Require("duration", "the span of simulated time, such as 1ms");
            return null;
        }
        var ops = new List<WorkloadStep.Operation>();
        foreach (var op in r.Object.ObjectList("operations", $"{r.Object.What} operation"))
        {
            var rate = op.Value("rate") is ConfigNumber n ? n.Value : (double?)null;
            if (op.Has("rate") && (rate is not > 0 || double.IsInfinity(rate.Value)))
            {
                op.Error("rate", "'rate' must be a positive number of operations per simulated second");
                continue;
            }
            var every = op.Duration("every");
            if ((rate is null) == (every is null))
            {
                op.Error(op.Position, "give 'rate' (operations per simulated second) or 'every' (a period), one of them");
                continue;
            }
            if (every is { } e && e <= TimeSpan.Zero)
            {
                op.Error("every", "'every' must be positive");
                continue;
            }
            // An operation's steps run concurrently with every other operation: they see only the names bound before the workload.
            var scope = r.Symbols.Branch();
            Step? body = null;
            if (op.Has("steps"))
            {
                var opInfo = r.Info with { Op = "sequence", Text = "operation", Position = op.Position, Context = r.Info.ChildContext };
                var steps = r.Catalogue.ReadSteps(op, "steps", scope, opInfo.ChildContext);
                body = new SequenceStep(opInfo, steps, 1);
            }
            else if (op.Object("step", $"{op.What} step") is { } s)
            {
                body = r.Catalogue.Read(s, scope, null, r.Info.ChildContext);
            }
            else
            {
                op.Require("step", "the step to run, or 'steps'");
            }
            op.CheckUnknownKeys();
            if (body is not null) ops.Add(new WorkloadStep.Operation(body, rate, every));
        }
        if (ops.Count == 0 && !r.Diagnostics.HasErrors) r.Object.Require("operations", "a list of operations");
        return new WorkloadStep(r.Info, duration.Value, ops);
    }
}

/// <summary>Starts every branch as a concurrent script, then waits for all of them.</summary>
public sealed class ParallelStep(StepInfo info, IReadOnlyList<Step> branches) : Step(info)
{
    public IReadOnlyList<Step> Branches { get; } = branches;

    public override bool IsContainer => true;

    /// <summary>A script actor's name: the branch's label (a named branch) or op, made a valid actor name.</summary>
    public static string ActorName(Step step)
    {
        var text = step.Info.Text ?? step.Info.Op;
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray();
        return chars.Length == 0 || !char.IsAsciiLetterOrDigit(chars[0]) ? "branch" : new string(chars);
    }

    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        var contexts = new List<StepContext>(Branches.Count);
        foreach (var branch in Branches)
        {
            var branchContext = ctx.Branch();
            contexts.Add(branchContext);
            yield return new Start(branch.Execute(branchContext), ActorName(branch));
        }
        yield return WaitChildren.Instance;
        // Every branch has run: what they bound is visible from here on (as the file's checks assume).
        foreach (var c in contexts) c.Bindings.MergeIntoParent();
    }
}

/// <summary>The steps in order, <c>repeat</c> times.</summary>
public sealed class SequenceStep(StepInfo info, IReadOnlyList<Step> steps, int repeat) : Step(info)
{
    public IReadOnlyList<Step> Steps { get; } = steps;

    public override bool IsContainer => true;

    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        for (var r = 0; r < repeat; r++)
            foreach (var step in Steps)
                foreach (var instruction in step.Execute(ctx))
                    yield return instruction;
    }
}

/// <summary>Evaluates an expression when it runs, checks it and binds it.</summary>
public sealed class EvalStep(StepInfo info, Expressions.Expr value) : Step(info)
{
    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        var v = ctx.Eval(value);
        ctx.Check(this, "value", v);
        ctx.Bind(this, v);
        yield break;
    }
}

/// <summary>Lets simulated time pass (a timer on the system's clock).</summary>
public sealed class SleepStep(StepInfo info, TimeSpan duration) : Step(info)
{
    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        yield return new Delay(duration);
    }
}

/// <summary>
/// A workload generator: over <c>duration</c> of simulated time from its start, each operation is
/// started at its own rate (exponential inter-arrival times drawn from the run's seed, a Poisson
/// process) or period; each runs concurrently with the others and with earlier ones still running.
/// The step ends when the span is over and every operation started has finished.
/// </summary>
public sealed class WorkloadStep(StepInfo info, TimeSpan duration, IReadOnlyList<WorkloadStep.Operation> operations) : Step(info)
{
    public sealed record Operation(Step Body, double? RatePerSecond, TimeSpan? Every);

    public override bool IsContainer => true;

    protected override IEnumerable<Instruction> Body(StepContext ctx)
    {
        var now = ctx.Run.Now;
        var end = now + duration;
        var next = new TimeSpan[operations.Count];
        for (var i = 0; i < next.Length; i++) next[i] = now + Interval(ctx, operations[i]);
        while (true)
        {
            var k = 0;
            for (var i = 1; i < next.Length; i++)
                if (next[i] < next[k]) k = i;
            if (next.Length == 0 || next[k] > end) break;
            var wait = next[k] - ctx.Run.Now;
            if (wait > TimeSpan.Zero) yield return new Delay(wait);
            // Each operation binds names in a scope of its own, dropped when it ends.
            yield return new Start(operations[k].Body.Execute(ctx.Branch()), ParallelStep.ActorName(operations[k].Body));
            next[k] += Interval(ctx, operations[k]);
        }
        yield return WaitChildren.Instance;
    }

    /// <summary>The time to the operation's next start: its period, or an exponential draw for its rate (at least one tick).</summary>
    private static TimeSpan Interval(StepContext ctx, Operation op)
    {
        if (op.Every is { } every) return every;
        var u = (ctx.Run.Random(1, 1UL << 53) - 0.5) / (1UL << 53);
        var seconds = -Math.Log(u) / op.RatePerSecond!.Value;
        return TimeSpan.FromTicks(Math.Max(1, (long)(seconds * TimeSpan.TicksPerSecond)));
    }
}
