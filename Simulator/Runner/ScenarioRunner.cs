using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using IommuSim.Actors.Oracle;
using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Runtime.Deterministic;
using IommuSim.Runtime.Event;
using IommuSim.Simulator.Cost;
using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Oracles;
using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Scenarios;
using IommuSim.Simulator.Scenarios.Steps;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Runner;

/// <summary>What one run produced: the report, and notes about outputs that were not available.</summary>
/// <param name="Excerpt">The events before the first violation, else before the first failed expectation (empty when all held).</param>
/// <param name="ChoicePoints">Deliveries where more than one channel was runnable (deterministic dispatcher): where a schedule can differ.</param>
public sealed record RunOutcome(RunReport Report, IReadOnlyList<string> Excerpt, long ChoicePoints);

/// <summary>
/// Runs a scenario once: a fresh actor system (on the deterministic dispatcher with the seed's
/// strategy, or on the thread pool), the oracles attached before any actor starts, the machine
/// built from the topology, then one script: set-up, the steps, and teardown (every process
/// exits). The oracles' teardown checks follow. Nothing but the parsed scenario is shared between
/// runs, so explore may run thousands.
/// </summary>
public static class ScenarioRunner
{
    public static RunOutcome Run(Scenario scenario, RunSettings settings)
    {
        // PCT's horizon is measured before this run's system exists (a calibration run of its own).
        var strategy = settings.Deterministic ? Strategy(scenario, settings) : null;
        var wall = Stopwatch.StartNew();
        long choicePoints = 0;
        var system = ActorSystem.Create("iommusim", scenario.SystemConfig(settings.Deterministic));
        var d = system.Deterministic;
        var subscriptions = new List<IDisposable>();
        IReadOnlyList<IInvariantOracle> oracles = [];
        MetricsCollector? metrics = null;
        try
        {
            if (d is not null)
            {
                d.UseStrategy(strategy!);
                d.OnDelivery += delivery =>
                {
                    if (delivery.Runnable > 1) choicePoints++;
                };
            }
            var machine = new Machine(system, scenario.Machine.NewMemory(), settings.Options);
            oracles = OracleRegistry.AttachAll(new OracleContext(system, machine));
            subscriptions.Add(system.EventStream.Subscribe(typeof(DmaAccess), e =>
            {
                if (e is DmaAccess { Iova: { } iova } a) machine.RecordIova(a.Device, a.Address, iova);
            }));

            var ring = new DeliveryRing(Math.Max(1, settings.LastEvents));
            if (d is not null)
            {
                d.OnDelivery += ring.Add;
                if (settings.Cost) subscriptions.Add(CostModel.FromConfig(scenario.Config).Attach(system, d));
            }
            if (settings.Metrics) metrics = AttachMetrics(system, d, wall);

            var run = new ScenarioRun(scenario, machine, settings.Seed, oracles, d is null ? () => [] : ring.Format);
            if (settings.Trace is { } trace)
            {
                if (d is not null) d.OnDelivery += trace.Delivery;
                subscriptions.Add(system.EventStream.Subscribe(typeof(ITraceEvent), e => trace.Event(e, system.Scheduler.Now)));
                run.StepTrace = (step, start) => trace.StepEvent(step, start, system.Scheduler.Now);
            }

            // An error an actor logs is a bug of the model. (An actor that throws is restarted by its
            // supervisor and loses the request it served: the run then stops with that step unfinished.)
            subscriptions.Add(system.EventStream.Subscribe(typeof(LogEvent), e =>
            {
                if (e is LogEvent { Level: >= LogLevel.Error } log)
                    run.Fail(new ExpectationFailure("actor " + log.Source, "", "no actor fails", TraceWriter.Short(log.Message + (log.Cause is { } c ? ": " + c.Message : ""))));
            }));

            scenario.Machine.Create(machine);
            settings.Arrange?.Invoke(machine);
            system.ActorOf(ScriptActor.Props(RootScript(scenario, run), run, root: true), "scenario");
            string? stopped = null;
            try
            {
                var finished = d is not null
                    ? d.RunUntil(() => run.IsDone, Timeout.InfiniteTimeSpan)
                    : run.Done.Wait(scenario.Timeout);
                if (!finished)
                    stopped = d is not null
                        ? $"no actor can run any more and the steps are not finished (a request was never answered): {run.ActiveSteps()}"
                        : $"not finished after {scenario.Timeout.TotalSeconds:F0} s of wall time: {run.ActiveSteps()}";
                // Teardown checks hold only once everything has settled (late fences, flush-queue timers).
                else if (d is not null) d.RunUntilQuiescent();
            }
            catch (InvalidOperationException e)
            {
                // The deterministic dispatcher's max-steps: a livelock, or a workload that needs a higher limit.
                stopped = e.Message;
            }
            if (stopped is not null) run.Fail(new ExpectationFailure("run", scenario.Origin, "every step finishes", stopped));
            else foreach (var oracle in oracles) oracle.CheckTeardown();
            run.PollOracles();

            var (figures, series) = metrics is null ? (null, (RunSeries?)null) : metrics.Complete();
            var report = new RunReport
            {
                Scenario = scenario.Name,
                Seed = settings.Seed,
                Dispatcher = settings.DispatcherName,
                SimulatedNs = d is null ? 0 : d.Clock.NowTicks * 100,
                WallSeconds = wall.Elapsed.TotalSeconds,
                Events = d?.Steps ?? run.Calls * 2,
                TraceHash = d?.TraceHash,
                Violations = run.Violations,
                Expectations = run.Expectations,
                Metrics = figures ?? new SortedDictionary<string, double>(StringComparer.Ordinal),
                Series = series ?? RunSeries.Empty,
            };
            var excerpt = report.Violations.Count > 0 ? report.Violations[0].LastEvents : run.FirstFailureEvents;
            return new RunOutcome(report, excerpt, choicePoints);
        }
        finally
        {
            foreach (var s in subscriptions) s.Dispose();
            foreach (var o in oracles) o.Dispose();
            metrics?.Dispose();
            if (d is null) system.Dispose();
            // A deterministic system has no threads and no timers of its own: dropping it is enough,
            // and a run saves the loop that would stop every actor.
        }
    }

    private static SchedulingStrategy Strategy(Scenario scenario, RunSettings settings)
    {
        if (settings.Strategy != "pct") return new RandomStrategy(settings.Seed);
        var horizon = scenario.PctChoicePoints ?? Calibrate(scenario, settings);
        return new PctStrategy(settings.Seed, settings.PctDepth ?? scenario.DispatcherSettings.PctDepth, horizon, countChoicePoints: true);
    }

    // Calibrations by scenario, then by injected bugs (which change the deliveries).
    private static readonly ConditionalWeakTable<Scenario, ConcurrentDictionary<string, long>> Horizons = [];

    /// <summary>
    /// PCT's horizon: the choice points of one run of the scenario with the same bugs, on the random
    /// strategy with seed 0 (so explore and replay compute the same horizon without being told it).
    /// PCT then draws its change points among the choices a schedule really makes, not among the
    /// deliveries of sequential stretches where a change point changes nothing.
    /// </summary>
    public static long Calibrate(Scenario scenario, RunSettings settings)
    {
        var byBugs = Horizons.GetOrCreateValue(scenario);
        return byBugs.GetOrAdd(string.Join(",", settings.Bugs), _ =>
            Math.Max(1, Run(scenario, settings with { Seed = 0, Strategy = "random", Trace = null, Metrics = false }).ChoicePoints));
    }

    /// <summary>Set-up, the steps in order (unless set-up failed), then every process exits.</summary>
    private static IEnumerable<Instruction> RootScript(Scenario scenario, ScenarioRun run)
    {
        foreach (var i in scenario.Machine.Setup(run.Machine, run)) yield return i;
        if (!run.SetupHasFailed)
        {
            var ctx = new StepContext(run, sequential: true, run.Bindings);
            foreach (var step in scenario.Steps)
                foreach (var i in step.Execute(ctx))
                    yield return i;
        }
        // Teardown: the parts' own (files closed), then exit(2) for every process still there (ESRCH for one that has exited).
        foreach (var i in scenario.Machine.TeardownBeforeExit(run.Machine, run)) yield return i;
        foreach (var (_, mm) in run.Machine.Processes.OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return new Call<Done>(mm, new Exit());
        foreach (var i in scenario.Machine.TeardownAfterExit(run.Machine, run)) yield return i;
    }

    private static MetricsCollector AttachMetrics(ActorSystem system, DeterministicDispatcher? d, Stopwatch wall)
    {
        Func<long> now = d is null ? () => (long)(wall.Elapsed.TotalMilliseconds * 1e6) : () => d.Clock.NowTicks * 100;
        return MetricsCollector.Attach(system, now);
    }
}
