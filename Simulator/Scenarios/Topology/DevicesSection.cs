using IommuSim.Hardware.Devices;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>devices { gpu0 { unit = iommu0, atc-entries = 8, private-memory = 16MiB } }</c>: DMA-capable
/// devices. One behind a unit is a <see cref="DeviceActor"/> (DMA by IOVA, an ATC when
/// atc-entries &gt; 0); one without a unit is only a name for a mirror, as lib/test_hmm.c's
/// dmirror devices. private-memory makes it GPU-like (device-private memory for migration).
/// </summary>
public static class DevicesSection
{
    public static readonly TopologySection Section = new("devices",
        "devices { NAME { unit = UNIT, atc-entries = 0, private-memory = 0, max-bursts-in-flight = 64 } }: devices (without a unit: a name for a mirror)",
        Parse);

    private sealed record Spec(DeviceOptions Options, string? Unit);

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var devices = new List<Spec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"device {name}");
            if (entry is null || !reader.Declare(EntityKinds.Device, name, entry)) continue;
            var unit = reader.Reference(entry, "unit", EntityKinds.Unit, required: false);
            var atc = entry.Int("atc-entries", 0, 1 << 20) ?? 0;
            var bursts = entry.Int("max-bursts-in-flight", 1, 1 << 16) ?? 64;
            var memory = entry.Size("private-memory") ?? 0;
            if (memory % PageSize.Size4K.Bytes != 0)
            {
                entry.Error("private-memory", "'private-memory' must be a multiple of 4KiB");
                memory = 0;
            }
            if (unit is null && atc > 0) entry.Error("atc-entries", "a device needs a unit to have an ATC");
            entry.CheckUnknownKeys();
            reader.DeviceUnit[name] = unit;
            devices.Add(new Spec(new DeviceOptions(name) { AtcEntries = (int)atc, PrivateMemoryBytes = memory, MaxBurstsInFlight = (int)bursts }, unit));
        }
        return new Part(devices);
    }

    private sealed class Part(IReadOnlyList<Spec> devices) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            foreach (var (options, unit) in devices)
            {
                if (unit is not null)
                {
                    machine.Devices[options.Name] = machine.System.ActorOf(DeviceActor.Props(options, machine.Unit(unit), machine.Memory), "device-" + options.Name);
                    machine.DeviceUnit[options.Name] = unit;
                }
                else if (options.PrivateMemoryBytes > 0)
                    machine.Memory.AddDevicePool(options.Name, options.PrivateMemoryBytes);
            }
        }

        /// <summary>A device answers only once its unit probed it: wait for that, so attaches find it probed.</summary>
        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run)
        {
            foreach (var (options, unit) in devices)
            {
                if (unit is null) continue;
                var probe = new Call<DeviceStats>(machine.Device(options.Name), new GetDeviceStats());
                yield return probe;
                if (probe.Reply.Errno != Errno.None) run.SetupFailed($"device {options.Name}", $"probe by unit {unit} failed with {probe.Reply.Errno.Describe()}");
            }
        }
    }
}
