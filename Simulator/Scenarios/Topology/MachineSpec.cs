using IommuSim.Hardware.Memory;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// The <c>machine { }</c> section of a scenario: memory size and the parts of every section of
/// <see cref="TopologyCatalogue"/>. Read once per scenario; <see cref="Build"/> makes a fresh
/// machine for each run.
/// </summary>
public sealed class MachineSpec
{
    public const ulong DefaultMemory = 64UL << 20;

    private MachineSpec(ulong memoryBytes, IReadOnlyList<ITopologyPart> parts)
    {
        MemoryBytes = memoryBytes;
        Parts = parts;
    }

    public ulong MemoryBytes { get; }

    public IReadOnlyList<ITopologyPart> Parts { get; }

    public static MachineSpec Read(ObjectReader? machine, Symbols symbols, Diagnostics diagnostics, Config root)
    {
        if (machine is null) return new MachineSpec(DefaultMemory, []);
        var memory = machine.Size("memory") ?? DefaultMemory;
        if (memory < 1UL << 20 || memory > 64UL << 30)
        {
            machine.Error("memory", "'memory' must be between 1MiB and 64GiB");
            memory = DefaultMemory;
        }
        var reader = new TopologyReader(symbols, diagnostics, root);
        var parts = new List<ITopologyPart>();
        foreach (var section in TopologyCatalogue.Sections)
        {
            var obj = machine.Object(section.Key, section.Key);
            if (obj is null) continue;
            if (section.Parse(obj, reader) is { } part) parts.Add(part);
            obj.CheckUnknownKeys();
        }
        machine.CheckUnknownKeys();
        return new MachineSpec(memory, parts);
    }

    /// <summary>Creates the machine's memory and actors in <paramref name="machine"/>; the set-up messages are <see cref="Setup"/>.</summary>
    public void Create(Machine machine)
    {
        foreach (var part in Parts) part.Create(machine);
    }

    public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run) => Parts.SelectMany(p => p.Setup(machine, run));

    /// <summary>The parts' teardown before the processes exit, the last section first (a container goes before the process it pins).</summary>
    public IEnumerable<Instruction> TeardownBeforeExit(Machine machine, ScenarioRun run) => Parts.Reverse().SelectMany(p => p.TeardownBeforeExit(machine, run));

    /// <summary>The parts' teardown once every process exited, in section order.</summary>
    public IEnumerable<Instruction> TeardownAfterExit(Machine machine, ScenarioRun run) => Parts.SelectMany(p => p.TeardownAfterExit(machine, run));

    public PhysicalMemory NewMemory() => new(MemoryBytes);
}
