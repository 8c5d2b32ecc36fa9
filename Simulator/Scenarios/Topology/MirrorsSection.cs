using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>mirrors { m0 { process = p0, device = gpu0 } }</c>: device mirrors (HmmMirrorActor, lib/test_hmm.c's
/// dmirror) opened at set-up. A mirror whose device is attached to an IOMMU domain maps through
/// the process's HMM domain for it (<c>iommu-domain = none</c> mirrors without one).
/// </summary>
public static class MirrorsSection
{
    public static readonly TopologySection Section = new("mirrors",
        "mirrors { NAME { process = PROCESS, device = DEVICE, iommu-domain = DOMAIN | none, reclaim = eager | on-munmap, max-retries = 64 } }: mirrors opened at set-up",
        Parse);

    /// <summary>What a mirror is made of, as a topology section or a mirror-open step reads it.</summary>
    /// <param name="UseDeviceDomain">No iommu-domain given: the domain the device is attached to, if any.</param>
    public sealed record MirrorSpec(string Name, string Process, string Device, string? IommuDomain, bool UseDeviceDomain, MirrorOptions Options);

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var mirrors = new List<MirrorSpec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"mirror {name}");
            if (entry is null || !reader.Declare(EntityKinds.Mirror, name, entry)) continue;
            var spec = ReadSpec(name, entry, reader.Symbols);
            entry.CheckUnknownKeys();
            if (spec is not null) mirrors.Add(spec);
        }
        return new Part(mirrors);
    }

    /// <summary>Reads process, device, iommu-domain, reclaim and max-retries of a mirror (a section entry or a mirror-open step).</summary>
    public static MirrorSpec? ReadSpec(string name, Reading.ObjectReader entry, Symbols symbols)
    {
        string? Ref(string key, string kind)
        {
            var n = entry.String(key, required: true);
            if (n is null) return null;
            if (symbols.Has(kind, n)) return n;
            entry.Error(key, symbols.Unknown(kind, n));
            return null;
        }
        var process = Ref("process", EntityKinds.Process);
        var device = Ref("device", EntityKinds.Device);
        var domainText = entry.String("iommu-domain");
        string? domain = null;
        if (domainText is not null and not "none")
        {
            if (symbols.Has(EntityKinds.IommuDomain, domainText)) domain = domainText;
            else entry.Error("iommu-domain", symbols.Unknown(EntityKinds.IommuDomain, domainText));
        }
        var policy = entry.Choice("reclaim", ProcessesSection.Policies.Keys) is { } p ? ProcessesSection.Policies[p] : HmmPtReclaimPolicy.Eager;
        var retries = entry.Int("max-retries", 1, 1 << 20) ?? 64;
        if (process is null || device is null) return null;
        return new MirrorSpec(name, process, device, domain, domainText is null, new MirrorOptions { ReclaimPolicy = policy, MaxRetries = (int)retries });
    }

    /// <summary>Creates the mirror's actor (it registers with its mm as it starts) and records it in the machine.</summary>
    public static IActorRef Open(Machine machine, MirrorSpec spec)
    {
        var domainName = spec.UseDeviceDomain ? machine.DeviceDomain.GetValueOrDefault(spec.Device) : spec.IommuDomain;
        var domain = domainName is null ? null : machine.IommuDomain(domainName);
        var actor = machine.System.ActorOf(
            HmmMirrorActor.Props(machine.Process(spec.Process), spec.Device, machine.Memory, domain, machine.Options.Mirror(spec.Options)),
            "mirror-" + spec.Name);
        machine.Mirrors[spec.Name] = new MirrorInstance(actor, spec.Device, spec.Process);
        return actor;
    }

    /// <summary>
    /// Waits until the mirror's registration is answered and gives its errno: a mirror serves its
    /// first command only after that (dmirror_fops_open), so a command with zero pages (EINVAL
    /// once registered, the registration's errno if it failed) marks the point, and the stats give the errno.
    /// </summary>
    public static IEnumerable<Instruction> AwaitRegistration(IActorRef mirror, Action<Errno> result)
    {
        yield return new Call<Done>(mirror, new MirrorCheckExclusive(new VirtAddr(0), 0));
        var stats = new Call<MirrorStats>(mirror, new GetMirrorStats());
        yield return stats;
        result(stats.Reply.Registration);
    }

    private sealed class Part(IReadOnlyList<MirrorSpec> mirrors) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            foreach (var spec in mirrors) Open(machine, spec);
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run)
        {
            foreach (var spec in mirrors)
            {
                var registration = Errno.None;
                foreach (var i in AwaitRegistration(machine.Mirror(spec.Name).Actor, e => registration = e)) yield return i;
                if (registration != Errno.None)
                    run.SetupFailed($"mirror {spec.Name}", $"registration of device {spec.Device} with process {spec.Process} failed with {registration.Describe()}");
            }
        }
    }
}
