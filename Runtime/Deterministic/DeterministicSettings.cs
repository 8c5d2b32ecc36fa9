using IommuSim.Runtime.Configuration;

namespace IommuSim.Runtime.Deterministic;

/// <summary>Settings of a deterministic dispatcher (<c>akka.actor.default-dispatcher</c> with <c>type = deterministic</c>).</summary>
public sealed record DeterministicSettings(ulong Seed, string Strategy, int PctDepth, long PctMaxSteps, long MaxSteps, bool RecordSchedule)
{
    public static readonly DeterministicSettings Default = new(1, "random", 3, 10_000, 100_000_000, true);

    public static DeterministicSettings FromConfig(Config section)
    {
        var strategy = section.GetString("strategy", "random");
        if (strategy is not ("random" or "pct"))
            throw new ConfigException(section.PositionOf("strategy"), $"deterministic strategy '{strategy}' is unknown, expected random or pct");
        var depth = section.GetInt("pct-depth", 3);
        if (depth < 1)
            throw new ConfigException(section.PositionOf("pct-depth"), $"pct-depth must be at least 1, got {depth}");
        return new DeterministicSettings(
            unchecked((ulong)section.GetLong("seed", 1)),
            strategy,
            depth,
            Math.Max(1, section.GetLong("pct-max-steps", 10_000)),
            Math.Max(1, section.GetLong("max-steps", 100_000_000)),
            section.GetBoolean("record-schedule", true));
    }

    public SchedulingStrategy CreateStrategy() => Strategy == "pct"
        ? new PctStrategy(Seed, PctDepth, PctMaxSteps)
        : new RandomStrategy(Seed);
}
