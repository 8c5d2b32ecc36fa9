using IommuSim.Actors.Hmm;
using IommuSim.Actors.Mm;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>processes { p0 { hmm-domain-reclaim = eager } }</c>: address spaces (MmActor: mm_struct +
/// struct hmm). Each creates its HMM domains (seed 000) on demand, one per IOMMU domain its
/// mirrors' devices sit behind.
/// </summary>
public static class ProcessesSection
{
    public static readonly TopologySection Section = new("processes",
        "processes { NAME { hmm-domain-reclaim = eager | on-munmap } }: processes (an mm each)",
        Parse);

    internal static readonly Dictionary<string, HmmPtReclaimPolicy> Policies = new(StringComparer.Ordinal)
    {
        ["eager"] = HmmPtReclaimPolicy.Eager,
        ["on-munmap"] = HmmPtReclaimPolicy.OnMunmap,
    };

    private sealed record Spec(string Name, HmmDomainOptions HmmDomain);

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var processes = new List<Spec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"process {name}");
            if (entry is null || !reader.Declare(EntityKinds.Process, name, entry)) continue;
            var policy = entry.Choice("hmm-domain-reclaim", Policies.Keys) is { } p ? Policies[p] : HmmPtReclaimPolicy.Eager;
            entry.CheckUnknownKeys();
            processes.Add(new Spec(name, new HmmDomainOptions { Policy = policy }));
        }
        return new Part(processes);
    }

    /// <summary>Props of a process's mm with the run's options (a forked child inherits its parent's).</summary>
    public static Props MmProps(Machine machine, HmmDomainOptions hmmDomain)
    {
        var domainOptions = machine.Options.HmmDomain(hmmDomain);
        return MmActor.Props(machine.Memory, d => HmmDomainActor.Props(d, domainOptions), machine.Options.Mm(MmOptions.Default));
    }

    private sealed class Part(IReadOnlyList<Spec> processes) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            foreach (var p in processes) machine.Processes[p.Name] = machine.System.ActorOf(MmProps(machine, p.HmmDomain), "mm-" + p.Name);
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run) => [];
    }
}
