using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// What a domain or a device needs to know about the unit it sits behind: the unit's name (what
/// "can attach" compares), its actor and its capabilities (which a domain sizes its page table by,
/// as a driver reads the capability registers). Immutable; hand it to whoever is created for that unit.
/// </summary>
public sealed record IommuUnitHandle(string Name, IActorRef Ref, IommuUnitCapabilities Capabilities)
{
    public override string ToString() => $"iommu unit {Name}";
}
