namespace IommuSim.LoadTests.Runtime;

/// <summary>
/// The sizes of the runtime benchmark's scenarios. <see cref="Full"/> is the specification of the
/// benchmark; <see cref="Quick"/> divides every count by 100; tests use smaller sizes still.
/// </summary>
public sealed record RuntimeSettings
{
    /// <summary>Ping-pong: pings and pongs in total, across all pairs, per run.</summary>
    public long PingPongMessages { get; init; } = 10_000_000;
    public IReadOnlyList<int> PingPongPairs { get; init; } = [1, 2, 8];
    /// <summary>Ping-pong: pings a pinger keeps in flight.</summary>
    public IReadOnlyList<int> PingPongWindows { get; init; } = [1, 1000];
    public int FanOutWidth { get; init; } = 1000;
    public int FanOutRounds { get; init; } = 2000;
    public int Asks { get; init; } = 200_000;
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public int SpawnActors { get; init; } = 1_000_000;
    public long DeterministicDeliveries { get; init; } = 5_000_000;
    public MeasureSettings Measure { get; init; } = MeasureSettings.Default;

    public static RuntimeSettings Full { get; } = new();

    /// <summary>
    /// Every count 100 times smaller; the shapes (pairs, windows, fan-out width) stay, since they
    /// are what a scenario is about.
    /// </summary>
    public static RuntimeSettings Quick { get; } = Full with
    {
        PingPongMessages = Full.PingPongMessages / 100,
        FanOutRounds = Full.FanOutRounds / 100,
        Asks = Full.Asks / 100,
        SpawnActors = Full.SpawnActors / 100,
        DeterministicDeliveries = Full.DeterministicDeliveries / 100,
    };
}
