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
///     preset = arm-smmu-v3            # intel-vtd (default), arm-smmu-v3 or power-phb: the base values
///     format = arm64-lpae-s1          # x86-64, amd-iommu-v1, arm64-lpae-s1, arm64-lpae-s2, power-tce
///     page-sizes = [4KiB, 2MiB, 1GiB]
///     input-address-bits = 48, output-address-bits = 48
///     iotlb-entries = 2048, iotlb-ways = 4, micro-tlb-entries = 32
///     invalidation-queue-depth = 256, fault-queue-depth = 128
///     pasid-bits = 20, sva = on, page-requests = on, dirty-tracking = on
///     walk-batch-pages = 512
///     drop-device-tlb-invalidation = off   # bug injection
///     cost { iotlb-hit-ns = 2, micro-tlb-hit-ns = 1, walk-level-ns = 80, memory-access-ns = 10, invalidation-ns = 50, sync-ns = 500 }
///   }
/// }
/// </code>
/// Every error is a <see cref="ConfigException"/> carrying the file, line and column of the
/// offending value: an unknown key, a value of the wrong type, a page size that is not a power of
/// two, or a combination <see cref="IommuUnitCapabilities.Validate"/> rejects (reported at the unit).
/// </summary>
public static class IommuUnitConfigReader
{
    public const string DefaultSection = "iommusim.iommu.units";

    private static readonly string[] Keys =
    [
        "preset", "format", "page-sizes", "input-address-bits", "output-address-bits", "pasid-bits", "sva", "page-requests",
        "dirty-tracking", "iotlb-entries", "iotlb-ways", "micro-tlb-entries", "invalidation-queue-depth", "fault-queue-depth",
        "walk-batch-pages", "drop-device-tlb-invalidation", "cost",
    ];

    private static readonly string[] CostKeys =
        ["iotlb-hit-ns", "micro-tlb-hit-ns", "walk-level-ns", "memory-access-ns", "invalidation-ns", "sync-ns"];

    /// <summary>Every unit of the section at <paramref name="path"/> of <paramref name="root"/>, in the order written.</summary>
    public static IReadOnlyList<IommuUnitConfig> ReadUnits(Config root, string path = DefaultSection)
    {
        ArgumentNullException.ThrowIfNull(root);
        var section = root.GetConfig(path);
        return [.. section.Keys.Select(name => ReadUnit(section, name))];
    }

    /// <summary>The unit <paramref name="name"/> of a units section.</summary>
    public static IommuUnitConfig ReadUnit(Config units, string name)
    {
        ArgumentNullException.ThrowIfNull(units);
        var position = units.PositionOf(Quote(name));
        var unit = units.GetConfig(Quote(name));
        foreach (var key in unit.Keys)
            if (!Keys.Contains(key))
                throw new ConfigException(unit.PositionOf(Quote(key)), $"unit {name}: unknown setting '{key}'; known: {string.Join(", ", Keys)}");

        var caps = Preset(unit, name);
        caps = caps with
        {
            PageTableFormat = unit.HasPath("format") ? Format(unit, "format") : caps.PageTableFormat,
            PageSizes = unit.HasPath("page-sizes") ? PageSizes(unit, "page-sizes") : caps.PageSizes,
            InputAddressBits = unit.GetInt("input-address-bits", caps.InputAddressBits),
            OutputAddressBits = unit.GetInt("output-address-bits", caps.OutputAddressBits),
            PasidBits = unit.GetInt("pasid-bits", caps.PasidBits),
            Sva = unit.GetBoolean("sva", caps.Sva),
            PageRequests = unit.GetBoolean("page-requests", caps.PageRequests),
            DirtyTracking = unit.GetBoolean("dirty-tracking", caps.DirtyTracking),
            IotlbEntries = unit.GetInt("iotlb-entries", caps.IotlbEntries),
            IotlbWays = unit.GetInt("iotlb-ways", caps.IotlbWays),
            MicroTlbEntries = unit.GetInt("micro-tlb-entries", caps.MicroTlbEntries),
            InvalidationQueueDepth = unit.GetInt("invalidation-queue-depth", caps.InvalidationQueueDepth),
        };
        if (caps.Validate(out var why) != Errno.None)
            throw new ConfigException(position, $"unit {name}: {why}");

        var faultDepth = unit.GetInt("fault-queue-depth", 128);
        if (faultDepth < 1)
            throw new ConfigException(unit.PositionOf("fault-queue-depth"), $"unit {name}: fault-queue-depth must be at least 1, not {faultDepth}");
        var walkBatch = unit.GetInt("walk-batch-pages", 512);
        if (walkBatch < 1)
            throw new ConfigException(unit.PositionOf("walk-batch-pages"), $"unit {name}: walk-batch-pages must be at least 1, not {walkBatch}");

        return new IommuUnitConfig(name, caps)
        {
            FaultQueueDepth = faultDepth,
            WalkBatchPages = walkBatch,
            DropDeviceTlbInvalidation = unit.GetBoolean("drop-device-tlb-invalidation", false),
            Costs = Costs(unit.GetConfig("cost"), name),
        };
    }

    /// <summary>Parses a units section from HOCON text (for tests and scenario files).</summary>
    public static IReadOnlyList<IommuUnitConfig> ParseUnits(string hocon, string origin = "iommu units") =>
        ReadUnits(ConfigurationFactory.ParseString(hocon, origin), "units");

    private static IommuUnitCapabilities Preset(Config unit, string name)
    {
        if (!unit.HasPath("preset")) return IommuUnitCapabilities.IntelVtd;
        return unit.GetString("preset") switch
        {
            "intel-vtd" => IommuUnitCapabilities.IntelVtd,
            "arm-smmu-v3" => IommuUnitCapabilities.ArmSmmuV3,
            "power-phb" => IommuUnitCapabilities.PowerPhb,
            var other => throw new ConfigException(unit.PositionOf("preset"),
                $"unit {name}: unknown preset '{other}'; known: intel-vtd, arm-smmu-v3, power-phb"),
        };
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
        var d = IommuUnitCosts.Default;
        return new IommuUnitCosts
        {
            IotlbHitNs = NonNegative(cost, "iotlb-hit-ns", d.IotlbHitNs),
            MicroTlbHitNs = NonNegative(cost, "micro-tlb-hit-ns", d.MicroTlbHitNs),
            WalkLevelNs = NonNegative(cost, "walk-level-ns", d.WalkLevelNs),
            MemoryAccessNs = NonNegative(cost, "memory-access-ns", d.MemoryAccessNs),
            InvalidationNs = NonNegative(cost, "invalidation-ns", d.InvalidationNs),
            SyncNs = NonNegative(cost, "sync-ns", d.SyncNs),
        };
    }

    private static double NonNegative(Config cost, string key, double fallback)
    {
        var value = cost.GetDouble(key, fallback);
        if (value < 0 || double.IsNaN(value))
            throw new ConfigException(cost.PositionOf(key), $"cost '{key}' must be a non-negative number of nanoseconds, not {value}");
        return value;
    }

    /// <summary>Keys are quoted so that a unit named "smmu.0" is one key, not a path.</summary>
    private static string Quote(string key) => "\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
