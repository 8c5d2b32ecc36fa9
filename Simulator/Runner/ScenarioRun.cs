using IommuSim.Actors.Oracle;
using IommuSim.Messages;
using IommuSim.Runtime.Deterministic;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Scenarios;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Steps;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// The state of one run of a scenario that its steps share: the machine, the names steps bound,
/// the expectations that held or failed, the steps running now, and the violations found.
/// </summary>
/// <remarks>
/// On the thread-pool dispatcher the scripts of parallel branches run on several threads at once
/// and all report here, so the mutable state is guarded by one lock, held only for a few
/// collection operations and never while calling out (an oracle's own lock is taken outside it).
/// On the deterministic dispatcher everything runs on the loop's thread and the lock is uncontended.
/// </remarks>
public sealed class ScenarioRun
{
    private readonly Lock _lock = new();
    private readonly Xoshiro256 _rng;
    private readonly List<ExpectationFailure> _failures = [];
    private readonly List<ViolationReport> _violations = [];
    private readonly Dictionary<Step, int> _active = [];
    private readonly IReadOnlyList<IInvariantOracle> _oracles;
    private readonly int[] _seen;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _passed;
    private long _calls;
    private bool _setupFailed;

    internal ScenarioRun(Scenario scenario, Machine machine, ulong seed, IReadOnlyList<IInvariantOracle> oracles, Func<IReadOnlyList<string>> lastEvents)
    {
        Scenario = scenario;
        Machine = machine;
        Seed = seed;
        _oracles = oracles;
        _seen = new int[oracles.Count];
        LastEvents = lastEvents;
        // The scenario's own random draws (delay-rounds, random(), workload arrivals) have a stream
        // of their own, so that they do not consume the scheduling strategy's.
        _rng = new Xoshiro256(seed ^ 0x5ce9a410_d1ce_0b5eUL);
    }

    public Scenario Scenario { get; }
    public Machine Machine { get; }
    public ulong Seed { get; }

    /// <summary>The last deliveries (deterministic dispatcher) for violation reports, oldest first.</summary>
    public Func<IReadOnlyList<string>> LastEvents { get; }

    /// <summary>Called when a step starts (true) or ends (false), for the trace.</summary>
    public Action<Step, bool>? StepTrace { get; set; }

    public TimeSpan Now => Machine.System.Scheduler.Now;

    public bool IsDone => _done.Task.IsCompleted;

    public Task Done => _done.Task;

    public bool SetupHasFailed
    {
        get
        {
            lock (_lock) return _setupFailed;
        }
    }

    /// <summary>Requests the scripts sent (each answered once): the event count on the thread pool, which counts no deliveries.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    // ---- services of expressions ------------------------------------------------------------

    /// <summary>The top-level scope of the names steps bind.</summary>
    public Bindings Bindings { get; } = new();

    public ulong Random(ulong lo, ulong hi)
    {
        if (hi < lo) throw new ScenarioRuntimeException($"random({lo}, {hi}): the range is empty");
        lock (_lock)
        {
            var span = hi - lo;
            return span == ulong.MaxValue ? _rng.NextUInt64() : lo + _rng.NextUInt64() % (span + 1);
        }
    }

    public ulong IovaOf(string mirror, ulong address) => Machine.IovaOf(mirror, address);

    // ---- expectations -------------------------------------------------------------------------

    /// <summary>Checks one expectation of <paramref name="step"/> and counts it.</summary>
    public void Check(Step step, Matcher matcher, string key, object actual, IExprScope scope)
    {
        string? mismatch;
        try
        {
            mismatch = matcher.Mismatch(actual, scope);
        }
        catch (ScenarioRuntimeException e)
        {
            mismatch = "(cannot be evaluated: " + e.Message + ")";
        }
        if (mismatch is null)
        {
            lock (_lock) _passed++;
            return;
        }
        var position = matcher.Position ?? step.Info.Expect.Position ?? step.Info.Position;
        Fail(new ExpectationFailure(step.Info.Label, position?.ToString() ?? "", $"{key} = {mismatch}", Matcher.Show(actual)));
    }

    public void Fail(ExpectationFailure failure)
    {
        var first = false;
        lock (_lock)
        {
            _failures.Add(failure);
            first = _failures.Count == 1;
        }
        if (first) FirstFailureEvents = LastEvents();
    }

    /// <summary>The deliveries just before the first failed expectation (deterministic dispatcher), for explore's excerpt.</summary>
    public IReadOnlyList<string> FirstFailureEvents { get; private set; } = [];

    /// <summary>A step's script threw (an unbound name, an entity that does not exist, no IOVA known): a failed expectation of that step.</summary>
    internal void ScriptFailed(Exception e)
    {
        var (step, cause) = e is StepFailedException f ? (f.Step, f.InnerException ?? f) : (null, e);
        var position = step?.Info.Position?.ToString() ?? "";
        var what = cause is ScenarioRuntimeException ? cause.Message : cause.ToString();
        Fail(new ExpectationFailure(step?.Info.Label ?? "script", position, "the step runs to its end", "it stopped: " + what));
    }

    /// <summary>A part of the machine could not be set up (a device that does not attach, a mirror that does not register).</summary>
    public void SetupFailed(string what, string message)
    {
        lock (_lock) _setupFailed = true;
        Fail(new ExpectationFailure("setup of " + what, "", "set-up succeeds", message));
    }

    public ExpectationResults Expectations
    {
        get
        {
            lock (_lock) return new ExpectationResults(_passed, _failures.Count, [.. _failures]);
        }
    }

    // ---- steps and violations -------------------------------------------------------------------

    internal void StepStarted(Step step)
    {
        if (step.IsContainer) return;
        lock (_lock) _active[step] = _active.GetValueOrDefault(step) + 1;
        StepTrace?.Invoke(step, true);
    }

    internal void StepEnded(Step step)
    {
        if (step.IsContainer) return;
        lock (_lock)
        {
            var n = _active.GetValueOrDefault(step) - 1;
            if (n <= 0) _active.Remove(step);
            else _active[step] = n;
        }
        StepTrace?.Invoke(step, false);
    }

    /// <summary>The steps running now, as reports name them.</summary>
    public string ActiveSteps()
    {
        lock (_lock) return _active.Count == 0 ? "(between steps)" : string.Join(" | ", _active.Keys.Select(s => s.Info.Label));
    }

    /// <summary>An invariant the runner itself checks (a failed call that changed something).</summary>
    public void Violation(string invariant, Step step, string message, IReadOnlyList<string> actors)
    {
        var report = new ViolationReport(invariant, step.Info.Label, message, actors, [], Seed, LastEvents());
        lock (_lock) _violations.Add(report);
    }

    /// <summary>After every reply a script receives: picks up what the oracles found since, naming the steps running now.</summary>
    internal void AfterReply()
    {
        Interlocked.Increment(ref _calls);
        PollOracles();
    }

    internal void PollOracles()
    {
        for (var i = 0; i < _oracles.Count; i++)
        {
            var oracle = _oracles[i];
            var count = oracle is DmaSafetyOracle dma ? dma.ViolationCount : oracle.Violations.Count;
            if (count <= _seen[i]) continue;
            var found = oracle.Violations;
            var steps = ActiveSteps();
            lock (_lock)
            {
                for (var k = _seen[i]; k < found.Count; k++)
                {
                    var v = found[k];
                    _violations.Add(new ViolationReport(v.Invariant, steps, v.Message, v.Actors, v.Pages, Seed, [.. v.RecentEvents, .. LastEvents()]));
                }
                _seen[i] = found.Count;
            }
        }
    }

    public IReadOnlyList<ViolationReport> Violations
    {
        get
        {
            lock (_lock) return [.. _violations];
        }
    }

    internal void RootFinished() => _done.TrySetResult();
}

/// <summary>A step's script threw; carries the step so the failure names it.</summary>
public sealed class StepFailedException(Step step, Exception inner) : Exception($"{step.Info.Label}: {inner.Message}", inner)
{
    public Step Step { get; } = step;
}
