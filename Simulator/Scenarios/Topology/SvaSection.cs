using IommuSim.Actors.Sva;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>sva { }</c>: the machine's SVA core (IommuSvaActor, drivers/iommu/iommu-sva.c: the global
/// PASID allocator, each mm's SVA domains, the bonds), which the sva-* steps bind through. Its
/// settings are the scenario's <c>iommusim.sva</c> (akka.hocon), domain-sharing included: per-unit
/// gives each mm one SVA domain per IOMMU unit (as the kernel does today), shared one domain
/// spanning every unit (seed 002). The page-request settings (<c>iommusim.sva.iopf</c>) are
/// machine-wide and go to every unit (<see cref="UnitsSection"/>), with or without this section.
/// </summary>
public static class SvaSection
{
    public const string Kind = "sva";

    /// <summary>The one name the SVA core is declared under (steps check the machine has one).</summary>
    public const string CoreName = "sva";

    public static readonly TopologySection Section = new("sva",
        "sva { domain-sharing = per-unit | shared }: the SVA core (default: iommusim.sva.domain-sharing of the scenario's config)",
        Parse);

    private static readonly Dictionary<string, SvaDomainSharing> Sharings = new(StringComparer.Ordinal)
    {
        ["per-unit"] = SvaDomainSharing.PerUnit,
        ["shared"] = SvaDomainSharing.Shared,
    };

    /// <summary>The page-request options of every unit (iommusim.sva.iopf); a bad setting is reported and the defaults used.</summary>
    public static IopfOptions PageRequestOptions(TopologyReader reader) => Read(reader).Iopf;

    private static (SvaOptions Sva, IopfOptions Iopf) Read(TopologyReader reader)
    {
        try
        {
            return SvaSettings.Read(reader.Root);
        }
        catch (ConfigException e)
        {
            // The units section and this one both read the settings: Diagnostics drops the repeated error.
            reader.Diagnostics.Add(e);
            return (SvaOptions.Default, IopfOptions.Default);
        }
    }

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        if (!reader.Declare(Kind, CoreName, section)) return null;
        var options = Read(reader).Sva;
        if (section.Choice("domain-sharing", Sharings.Keys) is { } sharing) options = options with { DomainSharing = Sharings[sharing] };
        return new Part(options);
    }

    /// <summary>The SVA core of the machine; a clear error when the scenario has no <c>sva { }</c> section.</summary>
    public static IActorRef Core(Machine machine) =>
        machine.Extensions.TryGetValue(Kind, out var entries) && entries.TryGetValue(CoreName, out var core) ? (IActorRef)core
            : throw new ScenarioRuntimeException("the machine has no SVA core (add 'sva { }' to the machine section)");

    private sealed class Part(SvaOptions options) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            var core = machine.System.ActorOf(IommuSvaActor.Props(machine.Options.Sva(options)), "sva");
            machine.Extensions.GetOrAdd(Kind, _ => new(StringComparer.Ordinal))[CoreName] = core;
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run) => [];

        // Once every process exited, the SVA core frees a PASID only after the last domain wrapping
        // the mm let it go: a chain of messages (mm -> core, domain release -> core) that the exits'
        // replies do not wait for. On the thread pool the teardown check could otherwise run while
        // the chain is still in flight; poll the core's counters until they settle (bounded, so a
        // real leak is still reported by the oracle's teardown check).
        public IEnumerable<Instruction> TeardownAfterExit(Machine machine, ScenarioRun run)
        {
            var core = Core(machine);
            for (var attempt = 0; attempt < SettleAttempts; attempt++)
            {
                var stats = new Call<SvaStats>(core, new GetSvaStats());
                yield return stats;
                if (stats.Reply is { Pasids: 0, Domains: 0 }) yield break;
                yield return new Delay(SettleInterval);
            }
        }
    }

    private const int SettleAttempts = 200;
    private static readonly TimeSpan SettleInterval = TimeSpan.FromMilliseconds(1);
}
