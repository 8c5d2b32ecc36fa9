using System.Globalization;
using System.Numerics;
using IommuSim.Messages;
using IommuSim.Runtime.Configuration;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// Reads IOMMU units from HOCON. The section (by default <c>iommusim.iommu.units</c>) holds one
/// object per unit, named by its key:
/// <code>
/// units {
///   smmu0 {
///     preset = arm-smmu-v3            # a preset of iommusim.iommu.presets: intel-vtd, arm-smmu-v3, power-phb
///     format = arm64-lpae-s1          # x86-64, amd-iommu-v1, arm64-lpae-s1, arm64-lpae-s2, power-tce
///     page-sizes = [4KiB, 2MiB, 1GiB]
///     input-address-bits = 48, output-address-bits = 48
///     iotlb-entries = 2048, iotlb-ways = 4, micro-tlb-entries = 32
///     invalidation-queue-depth = 256, fault-queue-depth = 128
///     pasid-bits = 20, sva = on, page-requests = on, dirty-tracking = on
///     walk-batch-pages = 512
///     drop-device-tlb-invalidation = off   # bug injection
///     cost { iotlb-hit-ns = 2, micro-tlb-hit-ns = 1, walk-level-ns = 80, memory-access-ns = 160, invalidation-ns = 50, sync-ns = 500 }
///   }
/// }
/// </code>
/// A unit takes each setting from its own section, else from its preset, else from
/// <c>iommusim.iommu.defaults</c>. Defaults and presets are read from the <c>iommusim.iommu</c>
/// section of the configuration the units come from, over the one in the embedded akka.hocon
/// (<see cref="ConfigurationFactory.Default"/>), which documents every key; so a scenario file
/// can change a default for all its units, and the code holds no second copy of the values.
/// Every error is a <see cref="ConfigException"/> carrying the file, line and column of the
/// offending value (in whichever file set it: the unit's, a preset's or a default's): an unknown
/// key, a value of the wrong type, a page size that is not a power of two, or a combination
/// <see cref="IommuUnitCapabilities.Validate"/> rejects (reported at the unit).
/// </summary>
public static class IommuUnitConfigReader
{
    /// <summary>The section holding <c>defaults</c>, <c>presets</c> and <c>units</c>.</summary>
    public const string SettingsPath = "iommusim.iommu";

    public const string DefaultSection = SettingsPath + ".units";

    private const string PresetKey = "preset";

    /// <summary>The keys of a unit section besides <see cref="PresetKey"/>; also those of defaults and presets.</summary>
    private static readonly string[] Keys =
    [
        "format", "page-sizes", "input-address-bits", "output-address-bits", "pasid-bits", "sva", "page-requests",
        "dirty-tracking", "iotlb-entries", "iotlb-ways", "micro-tlb-entries", "invalidation-queue-depth", "fault-queue-depth",
        "walk-batch-pages", "drop-device-tlb-invalidation", "cost",
    ];

    private static readonly string[] UnitKeys = [PresetKey, .. Keys];

    private static readonly string[] CostKeys =
        ["iotlb-hit-ns", "micro-tlb-hit-ns", "walk-level-ns", "memory-access-ns", "invalidation-ns", "sync-ns"];

    /// <summary>
    /// The <c>iommusim.iommu</c> section of <paramref name="root"/> over the embedded one: where
    /// units find their <c>defaults</c> and <c>presets</c>.
    /// </summary>
    public static Config Settings(Config root)
    {
        ArgumentNullException.ThrowIfNull(root);
        // Merged before the section is taken, so that the defaults' ${sim.cost.*} substitutions
        // resolve against the caller's sim.cost (a scenario that changes a cost changes its units).
        return root.WithFallback(ConfigurationFactory.Default()).GetConfig(SettingsPath);
    }

    /// <summary>Every unit of the section at <paramref name="path"/> of <paramref name="root"/>, in the order written.</summary>
    public static IReadOnlyList<IommuUnitConfig> ReadUnits(Config root, string path = DefaultSection)
    {
        ArgumentNullException.ThrowIfNull(root);
        var section = root.GetConfig(path);
        var settings = Settings(root);
        return [.. section.Keys.Select(name => ReadUnit(section, name, settings))];
    }

    /// <summary>
    /// The unit <paramref name="name"/> of a units section. <paramref name="settings"/> is an
    /// <c>iommusim.iommu</c>-shaped section with <c>defaults</c> and <c>presets</c>
    /// (<see cref="Settings"/>); the embedded one when null.
    /// </summary>
    public static IommuUnitConfig ReadUnit(Config units, string name, Config? settings = null)
    {
        ArgumentNullException.ThrowIfNull(units);
        settings ??= ConfigurationFactory.Default().GetConfig(SettingsPath);
        var position = units.PositionOf(Quote(name));
        var unit = units.GetConfig(Quote(name));
        CheckKeys(unit, UnitKeys, $"unit {name}");
        var defaults = settings.GetConfig("defaults");
        CheckKeys(defaults, Keys, $"{SettingsPath}.defaults");
        // Each key from the unit, else its preset, else the defaults; positions stay those of
        // whichever file wrote the value.
        var values = unit.WithFallback(Preset(unit, name, settings)).WithFallback(defaults);

        var caps = new IommuUnitCapabilities
        {
            PageTableFormat = Format(values, "format"),
            PageSizes = PageSizes(values, "page-sizes"),
            InputAddressBits = values.GetInt("input-address-bits"),
            OutputAddressBits = values.GetInt("output-address-bits"),
            PasidBits = values.GetInt("pasid-bits"),
            Sva = values.GetBoolean("sva"),
            PageRequests = values.GetBoolean("page-requests"),
            DirtyTracking = values.GetBoolean("dirty-tracking"),
            IotlbEntries = values.GetInt("iotlb-entries"),
            IotlbWays = values.GetInt("iotlb-ways"),
            MicroTlbEntries = values.GetInt("micro-tlb-entries"),
            InvalidationQueueDepth = values.GetInt("invalidation-queue-depth"),
        };
        if (caps.Validate(out var why) != Errno.None)
            throw new ConfigException(position, $"unit {name}: {why}");

        var faultDepth = values.GetInt("fault-queue-depth");
        if (faultDepth < 1)
            throw new ConfigException(values.PositionOf("fault-queue-depth"), $"unit {name}: fault-queue-depth must be at least 1, not {faultDepth}");
        var walkBatch = values.GetInt("walk-batch-pages");
        if (walkBatch < 1)
            throw new ConfigException(values.PositionOf("walk-batch-pages"), $"unit {name}: walk-batch-pages must be at least 1, not {walkBatch}");

        return new IommuUnitConfig(name, caps)
        {
            FaultQueueDepth = faultDepth,
            WalkBatchPages = walkBatch,
            DropDeviceTlbInvalidation = values.GetBoolean("drop-device-tlb-invalidation"),
            Costs = Costs(values.GetConfig("cost"), name),
        };
    }

    /// <summary>
    /// Parses a units section from HOCON text (for tests and scenario files); an
    /// <c>iommusim.iommu</c> section in the same text overrides the embedded defaults and presets.
    /// </summary>
    public static IReadOnlyList<IommuUnitConfig> ParseUnits(string hocon, string origin = "iommu units") =>
        ReadUnits(ConfigurationFactory.ParseString(hocon, origin), "units");

    /// <summary>The preset the unit names (empty when it names none), its keys checked.</summary>
    private static Config Preset(Config unit, string name, Config settings)
    {
        if (!unit.HasPath(PresetKey)) return Config.Empty;
        var presets = settings.GetConfig("presets");
        var preset = unit.GetString(PresetKey);
        if (!presets.HasPath(Quote(preset)))
            throw new ConfigException(unit.PositionOf(PresetKey),
                $"unit {name}: unknown preset '{preset}'; known: {string.Join(", ", presets.Keys)}");
        var values = presets.GetConfig(Quote(preset));
        CheckKeys(values, Keys, $"preset {preset}");
        return values;
    }

    private static void CheckKeys(Config section, string[] known, string what)
    {
        foreach (var key in section.Keys)
            if (!known.Contains(key))
                throw new ConfigException(section.PositionOf(Quote(key)), $"{what}: unknown setting '{key}'; known: {string.Join(", ", known)}");
    }

    /// <summary>Accepts the kebab-case names of the docs and the io_pgtable_fmt-like constants of <see cref="IoPageTableFormats"/>.</summary>
    private static string Format(Config unit, string key)
    {
        var text = unit.GetString(key);
        var format = text switch
        {
            "x86-64" => IoPageTableFormats.X86_64,
            "amd-iommu-v1" => IoPageTableFormats.AmdIommuV1,
            "arm64-lpae-s1" => IoPageTableFormats.Arm64LpaeS1,
            "arm64-lpae-s2" => IoPageTableFormats.Arm64LpaeS2,
            "power-tce" => IoPageTableFormats.PowerTce,
            _ => text,
        };
        if (!IoPageTableFormats.IsKnown(format))
            throw new ConfigException(unit.PositionOf(key),
                $"unknown page-table format '{text}'; known: x86-64, amd-iommu-v1, arm64-lpae-s1, arm64-lpae-s2, power-tce");
        return format;
    }

    private static ulong PageSizes(Config unit, string key)
    {
        if (unit.GetValue(key) is not ConfigArray items || items.Count == 0)
            throw new ConfigException(unit.PositionOf(key), $"'{key}' must be a non-empty list of page sizes such as [4KiB, 2MiB, 1GiB]");
        ulong bitmap = 0;
        foreach (var item in items)
        {
            var text = item switch
            {
                ConfigString s => s.Value,
                ConfigNumber n => n.Text,
                _ => throw new ConfigException(item.Position, $"'{key}' holds {item.Render()}, not a page size"),
            };
            if (!TryParseSize(text, out var bytes) || !BitOperations.IsPow2(bytes) || !PageSize.TryFromBytes(bytes, out _))
                throw new ConfigException(item.Position, $"'{text}' is not a page size (a power of two from 4KiB to 1TiB)");
            bitmap |= bytes;
        }
        return bitmap;
    }

    /// <summary>"4096", "4K", "4KiB", "4KB", "2M", "2MiB", "1G", "1GiB": powers of 1024 (page sizes are binary).</summary>
    public static bool TryParseSize(string text, out ulong bytes)
    {
        bytes = 0;
        var t = text.Trim();
        var digits = 0;
        while (digits < t.Length && char.IsAsciiDigit(t[digits])) digits++;
        if (digits == 0 || !ulong.TryParse(t.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return false;
        var shift = t[digits..].Trim() switch
        {
            "" or "B" => 0,
            "K" or "KiB" or "KB" or "k" => 10,
            "M" or "MiB" or "MB" => 20,
            "G" or "GiB" or "GB" => 30,
            "T" or "TiB" or "TB" => 40,
            _ => -1,
        };
        if (shift < 0 || number > ulong.MaxValue >> shift) return false;
        bytes = number << shift;
        return true;
    }

    private static IommuUnitCosts Costs(Config cost, string name)
    {
        foreach (var key in cost.Keys)
            if (!CostKeys.Contains(key))
                throw new ConfigException(cost.PositionOf(Quote(key)), $"unit {name}: unknown cost '{key}'; known: {string.Join(", ", CostKeys)}");
        return new IommuUnitCosts
        {
            IotlbHitNs = NonNegative(cost, "iotlb-hit-ns"),
            MicroTlbHitNs = NonNegative(cost, "micro-tlb-hit-ns"),
            WalkLevelNs = NonNegative(cost, "walk-level-ns"),
            MemoryAccessNs = NonNegative(cost, "memory-access-ns"),
            InvalidationNs = NonNegative(cost, "invalidation-ns"),
            SyncNs = NonNegative(cost, "sync-ns"),
        };
    }

    /// <summary>A cost: a number of nanoseconds, or a duration ("2ns", "1.5us"; the defaults are sim.cost's durations).</summary>
    private static double NonNegative(Config cost, string key)
    {
        var duration = cost.GetValue(key) is ConfigString text
            && !double.TryParse(text.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        var value = duration ? cost.GetNanoseconds(key) : cost.GetDouble(key);
        if (value < 0 || double.IsNaN(value))
            throw new ConfigException(cost.PositionOf(key), $"cost '{key}' must be a non-negative number of nanoseconds, not {value}");
        return value;
    }

    /// <summary>Keys are quoted so that a unit named "smmu.0" is one key, not a path.</summary>
    private static string Quote(string key) => "\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
