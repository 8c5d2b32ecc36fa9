using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Cost;

// Reading sim.cost: every key is a duration (Config.GetNanoseconds keeps what a 100 ns tick
// would round away); an unknown key or a negative cost is an error at its file position.
public sealed partial class CostModel
{
    /// <summary>Where the costs are, in akka.hocon and in any config read over it.</summary>
    public const string SettingsPath = "sim.cost";

    /// <summary>The keys of <c>sim.cost</c>, in akka.hocon's order.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "iotlb-hit", "micro-tlb-hit", "walk-level", "memory-access", "invalidation", "sync",
        "message-hop", "ats-translation", "atc-invalidation", "device-fault", "mm-fault", "page-copy",
        "tce-exchange", "dirty-read-clear",
    ];

    /// <summary>The embedded defaults (akka.hocon's <c>sim.cost</c>).</summary>
    public static CostModel Default { get; } = FromConfig(Config.Empty);

    /// <summary>
    /// Reads <c>sim.cost</c> from <paramref name="config"/> over the embedded akka.hocon, which has
    /// every default: a config that sets one cost keeps the others.
    /// </summary>
    /// <exception cref="ConfigException">A key that is not a cost, a value that is not a duration, or a negative one.</exception>
    public static CostModel FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var cost = config.WithFallback(ConfigurationFactory.Default()).GetConfig(SettingsPath);
        foreach (var key in cost.Keys)
            if (!Keys.Contains(key))
                throw new ConfigException(cost.PositionOf("\"" + key + "\""),
                    $"unknown cost '{SettingsPath}.{key}'; known: {string.Join(", ", Keys)}");
        return new CostModel
        {
            IotlbHitNs = Read(cost, "iotlb-hit"),
            MicroTlbHitNs = Read(cost, "micro-tlb-hit"),
            WalkLevelNs = Read(cost, "walk-level"),
            MemoryAccessNs = Read(cost, "memory-access"),
            InvalidationNs = Read(cost, "invalidation"),
            SyncNs = Read(cost, "sync"),
            MessageHopNs = Read(cost, "message-hop"),
            AtsTranslationNs = Read(cost, "ats-translation"),
            AtcInvalidationNs = Read(cost, "atc-invalidation"),
            DeviceFaultNs = Read(cost, "device-fault"),
            MmFaultNs = Read(cost, "mm-fault"),
            PageCopyNs = Read(cost, "page-copy"),
            TceExchangeNs = Read(cost, "tce-exchange"),
            DirtyReadClearNs = Read(cost, "dirty-read-clear"),
        };
    }

    private static double Read(Config cost, string key)
    {
        var ns = cost.GetNanoseconds(key);
        if (ns < 0 || double.IsNaN(ns))
            throw new ConfigException(cost.PositionOf(key), $"cost '{SettingsPath}.{key}' must not be negative, not {ns} ns");
        return ns;
    }
}
