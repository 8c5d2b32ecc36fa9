using IommuSim.Actors.Oracle;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>The oracle's IOMMU-side rules, fed with hand-made trace events.</summary>
public sealed class OracleIommuTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private static readonly AddressRange Dir = AddressRange.FromLength(0x1000_0000, 0x20_0000);
    private static readonly Iova At = new(0x1000_3000);
    private static readonly Pfn Frame = new(0x456);

    private static DeviceDma Dma(IActorRef domain, bool live = true, int generation = 1, bool write = false) =>
        new("gpu0", domain, At, Frame, generation, live, write, ViaDeviceTlb: false);

    private static void Invalidation(DmaSafetyOracle oracle, IActorRef mm, long seq, Action during)
    {
        IReadOnlyList<InvalidationRange> ranges = [new InvalidationRange(AddressRange.FromLength(0x7000_0000, 0x1000), InvalidationEvent.Munmap)];
        oracle.OnEvent(new InvalidationStarted(mm, ranges, seq, 1));
        during();
        oracle.OnEvent(new InvalidationEnded(mm, ranges, seq));
    }

    [Fact]
    public void A_dma_by_iova_after_the_domain_answered_its_unmap_names_device_iova_pfn_and_invalidation()
    {
        var oracle = new DmaSafetyOracle();
        var domain = CreateTestProbe("domain").Ref;
        var mm = CreateTestProbe("mm").Ref;
        oracle.OnEvent(new IovaMapped(domain, Dir, default));
        oracle.OnEvent(Dma(domain));
        Assert.Empty(oracle.Violations);

        Invalidation(oracle, mm, 3, () =>
        {
            oracle.OnEvent(new IotlbFlushed("iommu0", domain, 1, [IotlbInvalidation.Range(new Iova(Dir.Start), Dir.Length, 4096)], 1));
            oracle.OnEvent(new IovaUnmapped(domain, Dir, Synced: true));
        });
        oracle.OnEvent(Dma(domain, write: true));

        var v = Assert.Single(oracle.Violations);
        Assert.Equal(("gpu0", Frame, (Iova?)At, (long?)3), (v.Device, v.Pfn, v.Iova, v.InvalidationSequence));
        Assert.Equal("DMA write by device gpu0 at IOVA 0x10003000 to pfn:456 after domain answered the unmap of IOVA [0x10000000, 0x10200000) " +
            "(IOTLB sync 1 of iommu0 completed before the answer, in the invalidation (seq 3)); the page is still allocated", v.Message);
        Assert.Equal("unmap of IOVA [0x10000000, 0x10200000) by domain, in the invalidation (seq 3)", v.Invalidation);
        Assert.Equal(2, oracle.DeviceAccesses);
    }

    [Fact]
    public void An_iova_mapped_again_may_be_used_and_another_domain_is_not_concerned()
    {
        var oracle = new DmaSafetyOracle();
        var domain = CreateTestProbe().Ref;
        var other = CreateTestProbe().Ref;
        oracle.OnEvent(new IovaUnmapped(domain, Dir, Synced: true));
        oracle.OnEvent(Dma(other));
        oracle.OnEvent(new IovaMapped(domain, AddressRange.FromLength(At.Value, 0x1000), Frame.ToPhys()));
        oracle.OnEvent(Dma(domain));
        Assert.Empty(oracle.Violations);
        // The rest of the unmapped range is still forbidden.
        oracle.OnEvent(Dma(domain) with { Iova = At + 0x1000 });
        Assert.Single(oracle.Violations);
    }

    [Fact]
    public void A_dma_to_a_page_the_mm_freed_is_a_violation_naming_the_invalidation_that_freed_it()
    {
        var oracle = new DmaSafetyOracle();
        var domain = CreateTestProbe().Ref;
        var mm = CreateTestProbe().Ref;
        oracle.OnEvent(new IovaMapped(domain, Dir, default));
        Invalidation(oracle, mm, 5, () => oracle.OnEvent(new PageFreed(mm, Frame, 1)));

        oracle.OnEvent(Dma(domain, live: false));
        var v = Assert.Single(oracle.Violations);
        Assert.Equal("DMA read by device gpu0 at IOVA 0x10003000 to pfn:456 after the invalidation (seq 5) that freed it completed; the page is free", v.Message);
        Assert.Equal((long?)5, v.InvalidationSequence);
    }

    [Fact]
    public void A_freed_and_reused_page_behind_a_stale_iova_is_a_violation_unless_the_iova_was_mapped_again()
    {
        var oracle = new DmaSafetyOracle();
        var domain = CreateTestProbe().Ref;
        var mm = CreateTestProbe().Ref;
        oracle.OnEvent(new IovaMapped(domain, Dir, default));
        Invalidation(oracle, mm, 1, () => oracle.OnEvent(new PageFreed(mm, Frame, 1)));

        oracle.OnEvent(Dma(domain, generation: 2));
        Assert.EndsWith("the page was freed and reused (generation 1 -> 2) and the IOVA was not mapped again", Assert.Single(oracle.Violations).Message);

        oracle.OnEvent(new IovaMapped(domain, AddressRange.FromLength(At.Value, 0x1000), Frame.ToPhys()));
        oracle.OnEvent(Dma(domain, generation: 2));
        Assert.Single(oracle.Violations);
    }
}
