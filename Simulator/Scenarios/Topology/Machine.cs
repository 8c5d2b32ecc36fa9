using System.Collections.Concurrent;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Runtime;
using IommuSim.Simulator.Bugs;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>A mirror of the machine: its actor, the device it stands for and the process it mirrors.</summary>
public sealed record MirrorInstance(IActorRef Actor, string Device, string Process);

/// <summary>
/// The machine of one run, built from a scenario's topology: physical memory and the actors of
/// each named entity. Steps find entities here by name. The maps are concurrent because steps
/// that create entities (fork, mirror-open) may run in parallel branches on the thread pool.
/// </summary>
public sealed class Machine(ActorSystem system, PhysicalMemory memory, MachineOptions options)
{
    public ActorSystem System { get; } = system;

    public PhysicalMemory Memory { get; } = memory;

    /// <summary>How the actors' options are changed in this run (injected bugs).</summary>
    public MachineOptions Options { get; } = options;

    public ConcurrentDictionary<string, IommuUnitHandle> Units { get; } = new(StringComparer.Ordinal);

    /// <summary>DeviceActors (devices behind an IOMMU unit).</summary>
    public ConcurrentDictionary<string, IActorRef> Devices { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, IActorRef> IommuDomains { get; } = new(StringComparer.Ordinal);

    /// <summary>The unit each device with a DMA engine sits behind (by name).</summary>
    public ConcurrentDictionary<string, string> DeviceUnit { get; } = new(StringComparer.Ordinal);

    /// <summary>Frames the scenario allocated itself (alloc-pages), as a kernel driver would; freed at teardown.</summary>
    public ConcurrentDictionary<Pfn, bool> DriverPages { get; } = new();

    /// <summary>The IOMMU domain each device is attached to (by name), as the topology says.</summary>
    public ConcurrentDictionary<string, string> DeviceDomain { get; } = new(StringComparer.Ordinal);

    /// <summary>The mm actor of each process (forked children join when the fork succeeds).</summary>
    public ConcurrentDictionary<string, IActorRef> Processes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, MirrorInstance> Mirrors { get; } = new(StringComparer.Ordinal);

    /// <summary>Entities of kinds other sections add (VMs, IOAS, TCE containers, SVA bonds), by kind then name.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, object>> Extensions { get; } = new(StringComparer.Ordinal);

    // The IOVA each device reaches each virtual page at, as its mirror published it (DmaAccess.Iova):
    // how a dmirror-like driver learns the DMA address to program its engine with.
    private readonly ConcurrentDictionary<(string Device, ulong Vpn), Iova> _iovas = new();

    public void RecordIova(string device, VirtAddr address, Iova iova) => _iovas[(device, address.Value >> PageSize.BaseShift)] = iova;

    public IActorRef Process(string name) => Processes.TryGetValue(name, out var p) ? p
        : throw new ScenarioRuntimeException($"process '{name}' does not exist in this run (the step that creates it failed or has not run)");

    public MirrorInstance Mirror(string name) => Mirrors.TryGetValue(name, out var m) ? m
        : throw new ScenarioRuntimeException($"mirror '{name}' does not exist in this run (the step that opens it failed or has not run)");

    public IActorRef Device(string name) => Devices.TryGetValue(name, out var d) ? d
        : throw new ScenarioRuntimeException($"device '{name}' has no DMA engine (give it a unit in the topology)");

    public IActorRef IommuDomain(string name) => IommuDomains.TryGetValue(name, out var d) ? d
        : throw new ScenarioRuntimeException($"iommu-domain '{name}' does not exist");

    public IommuUnitHandle Unit(string name) => Units.TryGetValue(name, out var u) ? u
        : throw new ScenarioRuntimeException($"unit '{name}' does not exist");

    /// <summary>The IOVA of <paramref name="address"/> for the mirror's device; an error until the mirror has touched that page.</summary>
    public ulong IovaOf(string mirror, ulong address)
    {
        var device = Mirror(mirror).Device;
        if (_iovas.TryGetValue((device, address >> PageSize.BaseShift), out var iova)) return iova.Value + (address & (PageSize.Size4K.Bytes - 1));
        throw new ScenarioRuntimeException($"no IOVA known for {AddressFormat.Hex(address)} on device {device}: mirror {mirror} has not mapped that page through an IOMMU domain");
    }
}
