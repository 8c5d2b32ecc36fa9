using IommuSim.Hardware.Iommu;
using IommuSim.Runtime.Configuration;

namespace IommuSim.Actors.Sva;

/// <summary>
/// Reads the <c>iommusim.sva</c> section (documented in akka.hocon): the SVA core's
/// <see cref="SvaOptions"/> and the units' <see cref="IopfOptions"/>. Each key is taken from the
/// given configuration, else from the embedded akka.hocon; an unknown key, a value of the wrong
/// type or an impossible combination is a <see cref="ConfigException"/> at the value's position.
/// </summary>
public static class SvaSettings
{
    public const string SettingsPath = "iommusim.sva";

    private static readonly string[] Keys =
        ["domain-sharing", "pasid-min", "pasid-max", "domain-bytes", "unit-record-bytes", "skip-pasid-invalidation", "iopf"];

    private static readonly string[] IopfKeys = ["queue-depth", "group-pages", "skip-flush-on-detach", "skip-queue-drain-on-detach"];

    /// <summary>The SVA core's options and the page-request options every unit of the machine uses.</summary>
    public static (SvaOptions Sva, IopfOptions Iopf) Read(Config root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var section = root.GetConfig(SettingsPath);
        CheckKeys(section, Keys, SettingsPath);
        var values = section.WithFallback(ConfigurationFactory.Default().GetConfig(SettingsPath));
        var sharing = values.GetString("domain-sharing") switch
        {
            "per-unit" => SvaDomainSharing.PerUnit,
            "shared" => SvaDomainSharing.Shared,
            var other => throw new ConfigException(values.PositionOf("domain-sharing"), $"domain-sharing must be per-unit or shared, not '{other}'"),
        };
        var sva = new SvaOptions
        {
            DomainSharing = sharing,
            PasidMin = (uint)NonNegative(values, "pasid-min"),
            PasidMax = (uint)NonNegative(values, "pasid-max"),
            DomainBytes = (int)NonNegative(values, "domain-bytes"),
            UnitRecordBytes = (int)NonNegative(values, "unit-record-bytes"),
            SkipPasidInvalidation = values.GetBoolean("skip-pasid-invalidation"),
        };
        if (sva.Validate() is { } why) throw new ConfigException(values.PositionOf("pasid-max"), $"{SettingsPath}: {why}");

        var iopfSection = values.GetConfig("iopf");
        CheckKeys(iopfSection, IopfKeys, SettingsPath + ".iopf");
        var iopf = new IopfOptions
        {
            QueueDepth = iopfSection.GetInt("queue-depth"),
            GroupPages = iopfSection.GetInt("group-pages"),
            SkipFlushOnDetach = iopfSection.GetBoolean("skip-flush-on-detach"),
            SkipQueueDrainOnDetach = iopfSection.GetBoolean("skip-queue-drain-on-detach"),
        };
        if (iopf.Validate() is { } bad) throw new ConfigException(iopfSection.PositionOf("queue-depth"), $"{SettingsPath}.iopf: {bad}");
        return (sva, iopf);
    }

    /// <summary>Parses the settings from HOCON text (tests, scenario files).</summary>
    public static (SvaOptions Sva, IopfOptions Iopf) Parse(string hocon, string origin = "sva settings") =>
        Read(ConfigurationFactory.ParseString(hocon, origin));

    private static long NonNegative(Config values, string key)
    {
        var value = values.GetLong(key);
        if (value is < 0 or > uint.MaxValue)
            throw new ConfigException(values.PositionOf(key), $"{key} must be between 0 and {uint.MaxValue}, not {value}");
        return value;
    }

    private static void CheckKeys(Config section, string[] known, string what)
    {
        foreach (var key in section.Keys)
            if (!known.Contains(key))
                throw new ConfigException(section.PositionOf(key), $"{what}: unknown setting '{key}'; known: {string.Join(", ", known)}");
    }
}
