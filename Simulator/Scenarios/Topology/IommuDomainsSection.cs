using IommuSim.Actors.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>iommu-domains { dom0 { type = unmanaged, unit = iommu0, devices = [gpu0, gpu1] } }</c>: IOMMU
/// domains (struct iommu_domain) of one unit each, with the devices attached at set-up. Mirrors
/// of devices attached to a domain share DMA mappings through an HMM domain (seed 000).
/// </summary>
public static class IommuDomainsSection
{
    public static readonly TopologySection Section = new("iommu-domains",
        "iommu-domains { NAME { type = unmanaged | dma | dma-fq | identity | blocked, unit = UNIT, devices = [DEVICE, ...], free-empty-tables = true, flush-queue-size = 256, flush-queue-timeout = 10ms, dirty-tracking = false } }",
        Parse);

    private static readonly Dictionary<string, IommuDomainType> Types = new(StringComparer.Ordinal)
    {
        ["unmanaged"] = IommuDomainType.Unmanaged,
        ["dma"] = IommuDomainType.Dma,
        ["dma-fq"] = IommuDomainType.DmaFlushQueue,
        ["identity"] = IommuDomainType.Identity,
        ["blocked"] = IommuDomainType.Blocked,
    };

    private sealed record Spec(string Name, string Unit, IommuDomainOptions Options, IReadOnlyList<string> Devices);

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var domains = new List<Spec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"iommu-domain {name}");
            if (entry is null || !reader.Declare(EntityKinds.IommuDomain, name, entry)) continue;
            var type = entry.Choice("type", Types.Keys) is { } t ? Types[t] : IommuDomainType.Unmanaged;
            var unit = reader.Reference(entry, "unit", EntityKinds.Unit, required: false);
            var devices = new List<string>();
            foreach (var (device, position) in entry.Names("devices"))
            {
                if (!reader.Symbols.Has(EntityKinds.Device, device))
                {
                    entry.Error(position, reader.Symbols.Unknown(EntityKinds.Device, device));
                    continue;
                }
                if (reader.DeviceDomain.TryGetValue(device, out var other))
                {
                    entry.Error(position, $"device {device} is already attached to iommu-domain {other}");
                    continue;
                }
                var deviceUnit = reader.DeviceUnit.GetValueOrDefault(device);
                if (deviceUnit is null)
                {
                    entry.Error(position, $"device {device} has no unit, so it cannot be attached to an IOMMU domain");
                    continue;
                }
                unit ??= deviceUnit;
                if (deviceUnit != unit)
                {
                    entry.Error(position, $"device {device} is behind unit {deviceUnit}, but iommu-domain {name} belongs to unit {unit} (a domain belongs to one IOMMU instance)");
                    continue;
                }
                reader.DeviceDomain[device] = name;
                devices.Add(device);
            }
            var options = new IommuDomainOptions
            {
                Type = type,
                FreeEmptyTableDirectories = entry.Bool("free-empty-tables") ?? true,
                FlushQueueSize = (int)(entry.Int("flush-queue-size", 1, 1 << 20) ?? 256),
                FlushQueueTimeout = entry.Duration("flush-queue-timeout") ?? TimeSpan.FromMilliseconds(10),
                DirtyTracking = entry.Bool("dirty-tracking") ?? false,
            };
            entry.CheckUnknownKeys();
            if (unit is null)
            {
                entry.Error(entry.Position, "an IOMMU domain needs a 'unit' or at least one device with a unit");
                continue;
            }
            domains.Add(new Spec(name, unit, options, devices));
        }
        return new Part(domains);
    }

    private sealed class Part(IReadOnlyList<Spec> domains) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            foreach (var d in domains)
            {
                machine.IommuDomains[d.Name] = machine.System.ActorOf(
                    IommuDomainActor.Props(machine.Unit(d.Unit), machine.Options.IommuDomain(d.Options)), "iommu-domain-" + d.Name);
                foreach (var device in d.Devices) machine.DeviceDomain[device] = d.Name;
            }
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run)
        {
            foreach (var d in domains)
            {
                foreach (var device in d.Devices)
                {
                    var attach = new Call<Done>(machine.IommuDomain(d.Name), new AttachDevice(device, d.Unit));
                    yield return attach;
                    if (attach.Reply.Errno != Errno.None)
                        run.SetupFailed($"iommu-domain {d.Name}", $"attaching device {device} failed with {attach.Reply.Errno.Describe()}");
                }
            }
        }
    }
}
