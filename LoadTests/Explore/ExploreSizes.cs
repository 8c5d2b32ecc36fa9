namespace IommuSim.LoadTests.Explore;

/// <summary>
/// The sizes of the explore family. <see cref="Full"/> gives the closing note's figures (issue 5);
/// <see cref="Quick"/> is a smoke test. <see cref="Progress"/> receives a line per 10% of a long
/// campaign (stderr by default; tests pass <see cref="TextWriter.Null"/>).
/// </summary>
public sealed record ExploreSizes
{
    /// <summary>Speed: the scenario whose schedules are counted (the figure).</summary>
    public string SpeedScenario { get; init; } = "munmap-vs-fault-race";

    /// <summary>Speed: schedules per measured run, per strategy.</summary>
    public int SpeedSchedules { get; init; } = 5_000;

    public IReadOnlyList<string> SpeedStrategies { get; init; } = ["random", "pct"];

    public MeasureSettings SpeedMeasure { get; init; } = MeasureSettings.Default;

    /// <summary>Speed: the target of the closing note, schedules per minute.</summary>
    public double SpeedTarget { get; init; } = 20_000;

    /// <summary>Bugs: PCT schedules tried per base seed before a bug counts as not found (the target, ≤ 1,000).</summary>
    public int BugLimit { get; init; } = 1_000;

    /// <summary>Bugs: each bug is explored from each of these base seeds (schedule i runs with seed base + i).</summary>
    public IReadOnlyList<ulong> BugBaseSeeds { get; init; } = [1, 100_001, 200_001, 300_001, 400_001];

    /// <summary>Clean: schedules per built-in scenario, split evenly over <see cref="CleanStrategies"/>.</summary>
    public int CleanSchedules { get; init; } = 100_000;

    public IReadOnlyList<string> CleanStrategies { get; init; } = ["random", "pct"];

    /// <summary>Clean: the built-ins to run; null for every one of <c>ScenarioLibrary.BuiltInNames</c>.</summary>
    public IReadOnlyList<string>? CleanScenarios { get; init; }

    /// <summary>Clean: bugs injected into every schedule; none for the figure (a test injects one to see each failure counted).</summary>
    public IReadOnlyList<string> CleanBugs { get; init; } = [];

    public TextWriter Progress { get; init; } = Console.Error;

    public static ExploreSizes Full { get; } = new();

    public static ExploreSizes Quick { get; } = Full with
    {
        SpeedSchedules = 500,
        SpeedMeasure = new MeasureSettings(1, 3),
        BugBaseSeeds = [1],
        CleanSchedules = 1_000,
    };
}
