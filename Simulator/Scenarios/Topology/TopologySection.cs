using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// One part of a machine, read from one section of <c>machine { }</c> (units, devices, ...): it
/// creates its actors before the run's script starts, then finishes setting up with messages
/// (a device waits for its unit's probe, a domain attaches its devices, a mirror registers).
/// </summary>
public interface ITopologyPart
{
    /// <summary>Creates the part's actors (outside the dispatcher loop, in section order).</summary>
    void Create(Machine machine);

    /// <summary>The set-up messages, run in section order before the first step.</summary>
    IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run);

    /// <summary>What the part does when the run ends, before every process exits (a container detaches and releases its pins); in reverse section order.</summary>
    IEnumerable<Instruction> TeardownBeforeExit(Machine machine, ScenarioRun run) => [];

    /// <summary>What the part does once every process exited (a VM's IOAS unmaps and detaches, its memory is freed); in section order.</summary>
    IEnumerable<Instruction> TeardownAfterExit(Machine machine, ScenarioRun run) => [];
}

/// <summary>A section of <c>machine { }</c>: its key, a usage line, and its parser.</summary>
public sealed record TopologySection(string Key, string Usage, Func<ObjectReader, TopologyReader, ITopologyPart?> Parse);

/// <summary>What sections read with: the names declared so far, the whole scenario config (for presets) and what earlier sections found.</summary>
public sealed class TopologyReader(Symbols symbols, Diagnostics diagnostics, Config root)
{
    public Symbols Symbols { get; } = symbols;
    public Diagnostics Diagnostics { get; } = diagnostics;

    /// <summary>The scenario's whole configuration over akka.hocon (unit presets and defaults live in iommusim.iommu).</summary>
    public Config Root { get; } = root;

    /// <summary>The unit each device sits behind (null: a device without an IOMMU, as lib/test_hmm.c's dmirror).</summary>
    public Dictionary<string, string?> DeviceUnit { get; } = new(StringComparer.Ordinal);

    /// <summary>The IOMMU domain each device is attached to.</summary>
    public Dictionary<string, string> DeviceDomain { get; } = new(StringComparer.Ordinal);

    /// <summary>Declares a name of <paramref name="kind"/> read from <paramref name="entry"/>; false (reported) if it is invalid or taken.</summary>
    public bool Declare(string kind, string name, ObjectReader entry)
    {
        if (!Names.IsValid(name))
        {
            entry.Error(entry.Position, $"'{name}' is not a valid name (letters, digits, '-' and '_', starting with a letter)");
            return false;
        }
        if (Symbols.Declare(kind, name, entry.Position)) return true;
        entry.Error(entry.Position, $"{kind} '{name}' is declared twice");
        return false;
    }

    /// <summary>A reference to a declared entity (reported with the known names when unknown).</summary>
    public string? Reference(ObjectReader entry, string key, string kind, bool required)
    {
        var name = entry.String(key, required);
        if (name is null) return null;
        if (Symbols.Has(kind, name)) return name;
        entry.Error(key, Symbols.Unknown(kind, name));
        return null;
    }
}

/// <summary>
/// The sections of <c>machine { }</c> in build order. Issue 4's pieces add theirs here (VMs with
/// an IOAS, TCE tables and containers, SVA) with one line each: a section may refer to entities
/// of the sections before it.
/// </summary>
public static class TopologyCatalogue
{
    public static readonly IReadOnlyList<TopologySection> Sections =
    [
        UnitsSection.Section,
        DevicesSection.Section,
        IommuDomainsSection.Section,
        ProcessesSection.Section,
        MirrorsSection.Section,
        VmsSection.Section,
        SvaSection.Section,
        TceSections.Groups,
        TceSections.Containers,
    ];
}
