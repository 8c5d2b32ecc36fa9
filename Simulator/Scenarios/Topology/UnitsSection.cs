using IommuSim.Hardware.Iommu;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// <c>units { iommu0 { preset = intel-vtd, micro-tlb-entries = 16 } }</c>: IOMMU hardware units,
/// read by <see cref="IommuUnitConfigReader"/> (a unit's keys over its preset over
/// <c>iommusim.iommu.defaults</c>, which the scenario file may override too).
/// </summary>
public static class UnitsSection
{
    public static readonly TopologySection Section = new("units",
        "units { NAME { preset = intel-vtd | arm-smmu-v3 | power-phb, KEY = VALUE ... } }: IOMMU units (the keys of iommusim.iommu.defaults in akka.hocon)",
        Parse);

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var settings = IommuUnitConfigReader.Settings(reader.Root);
        var iopf = SvaSection.PageRequestOptions(reader);
        var units = new List<IommuUnitConfig>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"unit {name}");
            if (entry is null || !reader.Declare(EntityKinds.Unit, name, entry)) continue;
            try
            {
                units.Add(IommuUnitConfigReader.ReadUnit(section.Config, name, settings) with { Iopf = iopf });
            }
            catch (ConfigException e)
            {
                reader.Diagnostics.Add(e.Position, e.Reason);
            }
        }
        return new Part(units);
    }

    private sealed class Part(IReadOnlyList<IommuUnitConfig> units) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            foreach (var config in units)
                machine.Units[config.Name] = IommuUnitActor.Create(machine.System, machine.Options.Unit(config), machine.Memory);
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run) => [];
    }
}
