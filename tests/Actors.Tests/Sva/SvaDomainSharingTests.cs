using IommuSim.Actors.Sva;
using IommuSim.Messages;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// Seed 002's open question in numbers: one SVA domain per (mm, unit) against one domain shared by
/// every unit, on a machine of 4 units with 2 devices each, all bound to one mm that then unmaps
/// its buffer in 4 steps. Sharing saves domains, their memory, notifier callbacks and fences and
/// the "can attach" search; it saves no IOTLB invalidation command or sync, because each unit
/// caches the PASID's translations in its own IOTLB and must be told either way. Neither owns
/// page-table memory: both walk the mm's CPU page table.
/// </summary>
public sealed class SvaDomainSharingTests(ITestOutputHelper output)
{
    private const int Units = 4;
    private const int DevicesPerUnit = 2;
    private const int Pages = 64;
    private const int Munmaps = 4;

    private sealed record Figures(int Domains, long DomainBytes, long IoPageTableBytes, long AttachChecks, int MmReferences,
        long NotifierCallbacks, long UnitCommands, long UnitSyncs, long DomainCommands);

    private static Figures Run(SvaDomainSharing sharing)
    {
        using var kit = new DeterministicTestKit(null, 7);
        using var m = new SvaMachine(kit, new SvaMachineSpec
        {
            Units = Units,
            DevicesPerUnit = DevicesPerUnit,
            Sva = new SvaOptions { DomainSharing = sharing },
        });
        m.Mmap(Pages);
        for (var i = 0; i < Pages; i++) m.CpuWrite(SvaMachine.Base + (ulong)i * SvaMachine.Page, (ulong)i);
        var bonds = m.Devices.Keys.Select(d => (Device: d, Bond: m.Bind(d))).ToList();
        foreach (var (device, bond) in bonds) Assert.Equal(Pages, m.Read(device, bond.Pasid, SvaMachine.Base, Pages).Pages);
        var before = Enumerable.Range(0, Units).Select(m.UnitStats).ToList();
        for (var k = 0; k < Munmaps; k++)
            Assert.Equal(Errno.None, m.Munmap(SvaMachine.Base + (ulong)(k * Pages / Munmaps) * SvaMachine.Page, Pages / Munmaps));
        var after = Enumerable.Range(0, Units).Select(m.UnitStats).ToList();
        var domains = bonds.Select(b => b.Bond.Domain!).Distinct().Select(m.DomainStats).ToList();
        var stats = m.Stats();
        var figures = new Figures(
            stats.Domains,
            stats.DomainBytes,
            stats.IoPageTableBytes,
            stats.AttachAttempts,
            m.MmState().References,
            domains.Sum(d => d.Invalidations),
            after.Zip(before).Sum(p => p.First.InvalidationCommands - p.Second.InvalidationCommands),
            after.Zip(before).Sum(p => p.First.Syncs - p.Second.Syncs),
            domains.Sum(d => d.Commands));
        foreach (var (_, bond) in bonds) Assert.Equal(Errno.None, m.Unbind(bond.BondId));
        Assert.Equal(Errno.None, m.Exit());
        kit.Dispatcher.RunUntilQuiescent();
        m.AssertTornDown();
        return figures;
    }

    [Fact]
    public void Sharing_one_domain_across_units_saves_domains_and_notifier_fences_but_no_invalidation_command()
    {
        var perUnit = Run(SvaDomainSharing.PerUnit);
        var shared = Run(SvaDomainSharing.Shared);
        output.WriteLine($"{Units} units x {DevicesPerUnit} devices, one mm, {Munmaps} munmaps of {Pages / Munmaps} pages");
        output.WriteLine($"per-unit: {perUnit}");
        output.WriteLine($"shared:   {shared}");

        Assert.Equal((Units, 1), (perUnit.Domains, shared.Domains));
        Assert.Equal((Units * 512L, 512L + Units * 64L), (perUnit.DomainBytes, shared.DomainBytes));
        Assert.Equal((0L, 0L), (perUnit.IoPageTableBytes, shared.IoPageTableBytes));
        Assert.Equal((1 + Units, 2), (perUnit.MmReferences, shared.MmReferences));
        // Every domain's notifier runs for every munmap: one per unit, or one in all.
        Assert.Equal(((long)Units * Munmaps, (long)Munmaps), (perUnit.NotifierCallbacks, shared.NotifierCallbacks));
        // The "can attach" search: per unit it passes over the other units' domains.
        Assert.Equal((16L, 7L), (perUnit.AttachChecks, shared.AttachChecks));
        // Each unit's IOTLB is invalidated and synced once per munmap in both designs.
        Assert.Equal((long)Units * Munmaps, perUnit.UnitCommands);
        Assert.Equal(perUnit.UnitCommands, shared.UnitCommands);
        Assert.Equal(perUnit.UnitSyncs, shared.UnitSyncs);
        Assert.Equal(perUnit.DomainCommands, shared.DomainCommands);
    }
}
