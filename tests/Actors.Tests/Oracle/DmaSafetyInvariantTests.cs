using IommuSim.Actors.Oracle;
using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>The DMA safety oracle as one of the runner's invariant checkers (IInvariantOracle).</summary>
public sealed class DmaSafetyInvariantTests(ITestOutputHelper output) : TestKit.TestKit(output)
{
    private static readonly AddressRange Range = AddressRange.FromLength(0x10_0000, 0x4000);

    [Fact]
    public void A_violation_names_the_invariant_the_device_the_invalidation_and_the_page()
    {
        var dma = new DmaSafetyOracle();
        IInvariantOracle oracle = dma;
        var mm = CreateTestProbe().Ref;
        IReadOnlyList<InvalidationRange> ranges = [new InvalidationRange(Range, InvalidationEvent.Munmap)];
        dma.OnEvent(new InvalidationStarted(mm, ranges, 1, 1));
        dma.OnEvent(new InvalidationEnded(mm, ranges, 1));
        Assert.Empty(oracle.Violations);
        Assert.Equal(0, dma.ViolationCount);

        dma.OnEvent(new DmaAccess("gpu0", mm, new VirtAddr(0x10_1000), new Pfn(0x77), null, 1, 1, true, false, 0));

        var v = Assert.Single(oracle.Violations);
        Assert.Equal("no-dma-after-invalidation", oracle.Invariant);
        Assert.Equal(oracle.Invariant, v.Invariant);
        Assert.Equal(["gpu0", "invalidation seq 1"], v.Actors);
        Assert.Equal(["pfn:77", "va 0x101000"], v.Pages);
        Assert.Equal(dma.Violations[0].Message, v.Message);
        Assert.Contains(v.RecentEvents, e => e.StartsWith("invalidate end seq 1", StringComparison.Ordinal));
        Assert.Equal(1, dma.ViolationCount);
    }

    [Fact]
    public void At_teardown_an_invalidation_that_never_ended_is_a_violation_and_one_that_ended_is_not()
    {
        var dma = new DmaSafetyOracle();
        IInvariantOracle oracle = dma;
        var mm = CreateTestProbe().Ref;
        IReadOnlyList<InvalidationRange> ranges = [new InvalidationRange(Range, InvalidationEvent.Munmap)];
        dma.OnEvent(new InvalidationStarted(mm, ranges, 1, 1));
        dma.OnEvent(new InvalidationEnded(mm, ranges, 1));
        dma.OnEvent(new InvalidationStarted(mm, ranges, 3, 2));

        oracle.CheckTeardown();

        var v = Assert.Single(oracle.Violations);
        Assert.Contains("the invalidation (seq 3)", v.Message);
        Assert.Contains("never completed", v.Message);
        Assert.Empty(dma.Violations); // the DMA rules themselves found nothing
    }
}
