using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// What every step has besides its own arguments: its op, where it was written, the label reports
/// use, the name its result is bound to, its expectations, and an optional wait before it runs
/// (<c>delay = 5us</c> of simulated time, <c>delay-rounds = [0, 24]</c> rounds drawn from the seed,
/// as hmm-tests.c's racing thread sleeps a random time).
/// </summary>
public sealed record StepInfo(string Op, ConfigPosition? Position, string? Text, string? Name, ExpectBlock Expect)
{
    public TimeSpan Delay { get; init; }

    public (int Min, int Max)? DelayRounds { get; init; }

    /// <summary>The labels of the steps that hold this one ("shared: dma0"), null at the top level.</summary>
    public string? Context { get; init; }

    /// <summary>How reports name the step: its context, its label (or op) and its position: "anon_read: device-read (scenarios/x.hocon:12:5)".</summary>
    public string Label => (Context is null ? "" : Context + ": ") + (Text ?? Op) + (Position is null ? "" : $" ({Position})");

    /// <summary>The context of the steps this one holds: its own, with its label if it has one.</summary>
    public string? ChildContext => Text is null ? Context : Context is null ? Text : $"{Context}: {Text}";

    public override string ToString() => Label;
}

/// <summary>
/// One step of a scenario, compiled from the file once and run by every schedule. A step is a
/// script: <see cref="Body"/> yields the <see cref="Instruction"/>s (calls to actors, waits, child
/// scripts) and checks the replies against <see cref="StepInfo.Expect"/> through the context.
/// </summary>
public abstract class Step(StepInfo info)
{
    public StepInfo Info { get; } = info;

    public IEnumerable<Instruction> Execute(StepContext ctx)
    {
        if (Info.DelayRounds is { } rounds)
        {
            var n = (int)ctx.Run.Random((ulong)rounds.Min, (ulong)rounds.Max);
            for (var i = 0; i < n; i++) yield return YieldRound.Instance;
        }
        if (Info.Delay > TimeSpan.Zero) yield return new Delay(Info.Delay);
        ctx.Run.StepStarted(this);
        try
        {
            using var body = Body(ctx).GetEnumerator();
            while (true)
            {
                Instruction next;
                try
                {
                    if (!body.MoveNext()) break;
                    next = body.Current;
                }
                catch (Exception e) when (e is not StepFailedException)
                {
                    throw new StepFailedException(this, e);
                }
                yield return next;
            }
        }
        finally
        {
            ctx.Run.StepEnded(this);
        }
    }

    protected abstract IEnumerable<Instruction> Body(StepContext ctx);

    /// <summary>A step that only holds steps (parallel, sequence, workload): reports name the steps inside it instead.</summary>
    public virtual bool IsContainer => false;

    public override string ToString() => Info.Label;
}
