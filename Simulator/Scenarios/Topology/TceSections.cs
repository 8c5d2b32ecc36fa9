using IommuSim.Actors.Tce;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Tce;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// The VFIO sPAPR side of a POWER machine (seed 003), two sections:
/// <c>tce-groups { pe1 { unit = phb0, devices = [nic0], tables = [ { offset = 0x100, entries = 1024, page-shift = 12, type = [pci, swinv-create, swinv-free], exchange = true } ] } }</c>
/// are the IOMMU groups the platform registers (struct iommu_table_group: the PE's devices and its
/// TCE tables, the default 32-bit window first), and
/// <c>tce-containers { c0 { process = qemu, group = pe1, enable = true, memlock-limit = 64MiB, cap-ipc-lock = false } }</c>
/// are VFIO containers (TceContainerActor) opened by a process, attached to a group and enabled at
/// set-up when the entry says so. A fresh set of tables is made for each run (they hold entries).
/// At teardown every container still holding a group detaches it (tce_iommu_release at the
/// process's exit), which releases every pin before the processes exit.
/// </summary>
public static class TceSections
{
    public static readonly TopologySection Groups = new("tce-groups",
        "tce-groups { NAME { unit = UNIT, devices = [DEVICE, ...], tables = [ { offset = 0x100, entries = 1024, page-shift = 12, type = [pci, swinv-create, swinv-free, swinv-pair], exchange = true }, ... ] } }: IOMMU groups of a POWER PHB (the first table is the 32-bit window)",
        ParseGroups);

    public static readonly TopologySection Containers = new("tce-containers",
        "tce-containers { NAME { process = PROCESS, group = GROUP, enable = true, memlock-limit = SIZE, cap-ipc-lock = false } }: VFIO sPAPR TCE containers (attached and enabled at set-up when a group is given)",
        ParseContainers);

    private static readonly Dictionary<string, TceTableType> TypeFlags = new(StringComparer.Ordinal)
    {
        ["vb"] = TceTableType.Vb,
        ["pci"] = TceTableType.Pci,
        ["swinv-create"] = TceTableType.PciSwinvCreate,
        ["swinv-free"] = TceTableType.PciSwinvFree,
        ["swinv-pair"] = TceTableType.PciSwinvPair,
    };

    /// <summary>PHB3's default: TCEs are cached by the PHB and killed by software after changes.</summary>
    private const TceTableType DefaultType = TceTableType.Pci | TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree;

    private sealed record TableSpec(ulong Offset, ulong Entries, int PageShift, TceTableType Type, bool Exchange);

    private sealed record GroupSpec(string Name, string Unit, IReadOnlyList<string> Devices, IReadOnlyList<TableSpec> Tables);

    private sealed record ContainerSpec(string Name, string Process, string? Group, bool Enable, TceContainerOptions Options);

    // ---- tce-groups ---------------------------------------------------------------------------

    private static ITopologyPart? ParseGroups(Reading.ObjectReader section, TopologyReader reader)
    {
        var groups = new List<GroupSpec>();
        var grouped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"tce-group {name}");
            if (entry is null || !reader.Declare(EntityKinds.TceGroup, name, entry)) continue;
            var unit = reader.Reference(entry, "unit", EntityKinds.Unit, required: true);
            var devices = new List<string>();
            foreach (var (device, position) in entry.Names("devices"))
            {
                if (!reader.Symbols.Has(EntityKinds.Device, device))
                    entry.Error(position, reader.Symbols.Unknown(EntityKinds.Device, device));
                else if (grouped.TryGetValue(device, out var other))
                    entry.Error(position, $"device {device} is already in tce-group {other} (a device belongs to one IOMMU group)");
                else if (reader.DeviceDomain.TryGetValue(device, out var domain))
                    entry.Error(position, $"device {device} is attached to iommu-domain {domain}, so VFIO cannot own it");
                else if (reader.DeviceUnit.GetValueOrDefault(device) is not { } deviceUnit)
                    entry.Error(position, $"device {device} has no unit, so it cannot be in a TCE group");
                else if (unit is not null && deviceUnit != unit)
                    entry.Error(position, $"device {device} is behind unit {deviceUnit}, but tce-group {name} belongs to unit {unit} (a PE is on one PHB)");
                else
                {
                    grouped[device] = name;
                    devices.Add(device);
                }
            }
            var tables = entry.ObjectList("tables", $"tce-group {name} tables").Select(ReadTable).ToList();
            if (tables.Count is 0 or > TceTableGroup.MaxTables)
                entry.Error("tables", $"a TCE group has 1 to {TceTableGroup.MaxTables} tables (the 32-bit window first)");
            else if (tables.All(t => t is not null) && Overlap(tables!) is { } overlap)
                entry.Error("tables", overlap);
            entry.CheckUnknownKeys();
            if (unit is not null && tables.Count is > 0 and <= TceTableGroup.MaxTables && tables.All(t => t is not null))
                groups.Add(new GroupSpec(name, unit, devices, tables!));
        }
        return new GroupsPart(groups);
    }

    private static TableSpec? ReadTable(Reading.ObjectReader table)
    {
        var offset = Number(table, "offset", 0, long.MaxValue);
        var entries = Number(table, "entries", 1, 1L << 34);
        var shift = table.Int("page-shift", PageSize.BaseShift, 40) ?? PageSize.BaseShift;
        var exchange = table.Bool("exchange") ?? true;
        var type = DefaultType;
        if (table.Has("type"))
        {
            type = TceTableType.Vb;
            foreach (var (flag, position) in table.Names("type"))
            {
                if (TypeFlags.TryGetValue(flag, out var f)) type |= f;
                else table.Error(position, $"unknown TCE table type '{flag}' (known: {string.Join(", ", TypeFlags.Keys)})");
            }
        }
        if (offset is null) table.Require("offset", "the first entry's index (it_offset)");
        if (entries is null) table.Require("entries", "the number of entries (it_size)");
        table.CheckUnknownKeys();
        if (offset is null || entries is null) return null;
        if ((ulong)(offset + entries) > ulong.MaxValue >> (int)shift)
        {
            table.Error("entries", "the DMA window does not fit in 64-bit bus addresses");
            return null;
        }
        return new TableSpec((ulong)offset, (ulong)entries, (int)shift, type, exchange);
    }

    /// <summary>A whole number, decimal or "0x..." (table offsets are usually written in hex).</summary>
    private static long? Number(Reading.ObjectReader table, string key, long min, long max)
    {
        if (table.Value(key) is not Runtime.Configuration.ConfigString { Value: var text } || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return table.Int(key, min, max);
        if (long.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var v) && v >= min && v <= max) return v;
        table.Error(key, $"'{key}' must be a whole number from {min} to {max}, not {text}");
        return null;
    }

    private static string? Overlap(IReadOnlyList<TableSpec> tables)
    {
        for (var i = 0; i < tables.Count; i++)
            for (var j = i + 1; j < tables.Count; j++)
            {
                var (a, b) = (Window(tables[i]), Window(tables[j]));
                if (a.Start < b.End && b.Start < a.End) return $"the windows of tables {i} and {j} overlap";
            }
        return null;

        static (ulong Start, ulong End) Window(TableSpec t) => (t.Offset << t.PageShift, (t.Offset + t.Entries) << t.PageShift);
    }

    private sealed class GroupsPart(IReadOnlyList<GroupSpec> groups) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            var registered = machine.TceGroups();
            foreach (var g in groups)
            {
                var tables = g.Tables.Select(t => new TceTable(t.Offset, t.Entries, t.PageShift, t.Type, t.Exchange)).ToArray();
                registered[g.Name] = new TceTableGroup(g.Name, machine.Unit(g.Unit), g.Devices, tables);
            }
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run) => [];
    }

    // ---- tce-containers -----------------------------------------------------------------------

    private static ITopologyPart? ParseContainers(Reading.ObjectReader section, TopologyReader reader)
    {
        var containers = new List<ContainerSpec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"tce-container {name}");
            if (entry is null || !reader.Declare(EntityKinds.TceContainer, name, entry)) continue;
            var process = reader.Reference(entry, "process", EntityKinds.Process, required: true);
            var group = reader.Reference(entry, "group", EntityKinds.TceGroup, required: false);
            var enable = entry.Bool("enable") ?? group is not null;
            if (enable && group is null && entry.Has("enable")) entry.Error("enable", "a container is enabled at set-up only with a group (tce_iommu_enable answers ENODEV without one)");
            var options = new TceContainerOptions
            {
                MemlockLimitBytes = entry.Size("memlock-limit") ?? ulong.MaxValue,
                CapIpcLock = entry.Bool("cap-ipc-lock") ?? false,
            };
            entry.CheckUnknownKeys();
            if (process is not null) containers.Add(new ContainerSpec(name, process, group, enable && group is not null, options));
        }
        return new ContainersPart(containers);
    }

    private sealed class ContainersPart(IReadOnlyList<ContainerSpec> containers) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            var groups = machine.TceGroups().Values.Cast<TceTableGroup>().OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
            var registered = machine.TceEntities(EntityKinds.TceContainer);
            foreach (var c in containers)
                registered[c.Name] = machine.System.ActorOf(
                    TceContainerActor.Props(machine.Memory, machine.Process(c.Process), groups, machine.Options.TceContainer(c.Options)), "tce-container-" + c.Name);
        }

        /// <summary>VFIO_GROUP_SET_CONTAINER, then VFIO_IOMMU_ENABLE, as QEMU opens a container.</summary>
        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run)
        {
            foreach (var c in containers)
            {
                if (c.Group is null) continue;
                var container = machine.TceContainer(c.Name);
                var attach = new Call<Done>(container, new TceAttachGroup(c.Group));
                yield return attach;
                if (attach.Reply.Errno != Errno.None)
                {
                    run.SetupFailed($"tce-container {c.Name}", $"attaching tce-group {c.Group} failed with {attach.Reply.Errno.Describe()}");
                    continue;
                }
                if (!c.Enable) continue;
                var enable = new Call<Done>(container, new TceEnable());
                yield return enable;
                if (enable.Reply.Errno != Errno.None) run.SetupFailed($"tce-container {c.Name}", $"enable failed with {enable.Reply.Errno.Describe()}");
            }
        }

        /// <summary>
        /// tce_iommu_release when the process's files close: a container that still holds a group
        /// detaches it (every entry cleared and killed, every pin released, the tables handed back).
        /// </summary>
        public IEnumerable<Instruction> TeardownBeforeExit(Machine machine, ScenarioRun run)
        {
            var groups = machine.TceGroups().Keys.Order(StringComparer.Ordinal).ToList();
            foreach (var c in containers)
            {
                var container = machine.TceContainer(c.Name);
                var stats = new Call<TceContainerStats>(container, new GetTceContainerStats());
                yield return stats;
                if (stats.Reply.Groups == 0) continue;
                foreach (var group in groups)
                {
                    // Only the attached group answers success; the others EINVAL and change nothing.
                    var detach = new Call<Done>(container, new TceDetachGroup(group));
                    yield return detach;
                    if (detach.Reply.Errno == Errno.None) break;
                }
            }
        }
    }
}

/// <summary>Where a machine keeps its TCE groups and containers (<see cref="Machine.Extensions"/>, by kind).</summary>
public static class TceMachineExtensions
{
    internal static System.Collections.Concurrent.ConcurrentDictionary<string, object> TceEntities(this Machine machine, string kind) =>
        machine.Extensions.GetOrAdd(kind, _ => new(StringComparer.Ordinal));

    /// <summary>The platform's IOMMU groups (TceTableGroup), by name.</summary>
    public static System.Collections.Concurrent.ConcurrentDictionary<string, object> TceGroups(this Machine machine) => machine.TceEntities(EntityKinds.TceGroup);

    public static IActorRef TceContainer(this Machine machine, string name) =>
        machine.TceEntities(EntityKinds.TceContainer).TryGetValue(name, out var c) ? (IActorRef)c
            : throw new ScenarioRuntimeException($"tce-container '{name}' does not exist");
}
