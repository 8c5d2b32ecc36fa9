namespace IommuSim.Simulator.Reports;

/// <summary>
/// What one run of a scenario produced: the fields of the JSON report (README, "Reports") and the
/// series the HTML report draws. Every time is simulated time in nanoseconds except
/// <see cref="WallSeconds"/>.
/// </summary>
public sealed record RunReport
{
    public required string Scenario { get; init; }

    public required ulong Seed { get; init; }

    /// <summary>"deterministic" or "threadpool".</summary>
    public required string Dispatcher { get; init; }

    /// <summary>Virtual time at the end of the run (0 on the thread-pool dispatcher, which has no virtual clock).</summary>
    public long SimulatedNs { get; init; }

    public double WallSeconds { get; init; }

    /// <summary>Messages delivered to actors.</summary>
    public long Events { get; init; }

    /// <summary>The deterministic dispatcher's trace hash; replaying the seed gives the same one. Null on the thread pool.</summary>
    public ulong? TraceHash { get; init; }

    public IReadOnlyList<ViolationReport> Violations { get; init; } = [];

    public ExpectationResults Expectations { get; init; } = ExpectationResults.None;

    /// <summary>Named figures (fault latency percentiles, IOTLB hit rate, ...), in key order when written.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    public RunSeries Series { get; init; } = RunSeries.Empty;

    /// <summary>0 when nothing was violated and every expectation held, else 1 (the command's exit code).</summary>
    public int ExitCode => Violations.Count == 0 && Expectations.Failed == 0 ? 0 : 1;
}

/// <summary>An invariant breach as reported: which invariant, at which step, the actors and pages involved, the seed and the last events.</summary>
public sealed record ViolationReport(
    string Invariant,
    string Step,
    string Message,
    IReadOnlyList<string> Actors,
    IReadOnlyList<string> Pages,
    ulong Seed,
    IReadOnlyList<string> LastEvents);

public sealed record ExpectationResults(int Passed, int Failed, IReadOnlyList<ExpectationFailure> Failures)
{
    public static readonly ExpectationResults None = new(0, 0, []);
}

/// <summary>An expectation that did not hold. <paramref name="Position"/> is the scenario file's "file:line:col" of the expect block.</summary>
public sealed record ExpectationFailure(string Step, string Position, string Expected, string Actual);

/// <summary>The time series of a run, for charts.</summary>
public sealed record RunSeries(
    IReadOnlyList<long> FaultLatencyNs,
    IReadOnlyList<long> InvalidationLatencyNs,
    IReadOnlyList<TimelineEvent> Timeline,
    IReadOnlyList<IotlbSample> Iotlb)
{
    public static readonly RunSeries Empty = new([], [], [], []);
}

/// <summary>One span on the timeline. <paramref name="Kind"/>: "invalidation", "fault", "iopf", "migration-round", "flush", ...</summary>
public sealed record TimelineEvent(long TimeNs, long DurationNs, string Kind, string Actor, string Detail);

/// <summary>Cumulative IOTLB lookups of all units at <paramref name="TimeNs"/>: the hit rate over time is the slope between samples.</summary>
public sealed record IotlbSample(long TimeNs, long Hits, long Misses);
