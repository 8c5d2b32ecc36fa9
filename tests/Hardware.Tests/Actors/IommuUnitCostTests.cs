using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Hardware.Tests.Actors;

/// <summary>The unit's cost model on the deterministic dispatcher's virtual clock (simulated time, not wall time).</summary>
public sealed class IommuUnitCostTests(ITestOutputHelper output) : HardwareKit(output, deterministic: true)
{
    [Fact]
    public void Walk_levels_memory_accesses_and_syncs_advance_the_virtual_clock_by_their_cost()
    {
        var costs = new IommuUnitCosts { WalkLevelNs = 1000, MemoryAccessNs = 500, IotlbHitNs = 100, MicroTlbHitNs = 0, InvalidationNs = 2000, SyncNs = 10_000 };
        var unit = CreateUnit(UnitConfig("iommu0") with { Costs = costs });
        var stub = CreateStubDomain(unit);
        var device = CreateDevice(unit, new DeviceOptions("gpu0"));
        Attach(unit, "gpu0", stub);
        MapPages(stub, 0x4000_0000, AllocPages(2));
        var clock = Sys.Deterministic!.Clock;

        var before = clock.Now;
        Assert.Equal(Errno.None, Read(device, 0x4000_0000, 2).Errno);
        // Two pages walked (4 levels each) and read: 8 * 1000 + 2 * 500 ns.
        Assert.Equal(TimeSpan.FromTicks(90), clock.Now - before);

        before = clock.Now;
        Assert.Equal(Errno.None, Read(device, 0x4000_0000, 2).Errno);
        Assert.Equal(TimeSpan.FromTicks(12), clock.Now - before);

        before = clock.Now;
        Assert.True(Invalidate(unit, stub, true, IotlbInvalidation.ForDomain).Synced);
        Assert.Equal(TimeSpan.FromTicks(120), clock.Now - before);
    }
}
