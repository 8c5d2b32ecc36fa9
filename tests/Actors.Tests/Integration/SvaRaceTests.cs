using System.Diagnostics;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Sva;
using IommuSim.Actors.Tests.Sva;
using IommuSim.Hardware.Iommu;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// The SVA invariants over a thousand schedules of <see cref="SvaRace"/>: no DMA by PASID to a
/// page after the invalidation that removed it, no I/O page fault response after unbind, SVA
/// refcounts back to zero at teardown, and the data right; each injected bug is caught within the
/// same seeds.
/// </summary>
public sealed class SvaRaceTests(ITestOutputHelper output)
{
    private const int Seeds = 1000;

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void A_thousand_seeds_of_dma_by_pasid_with_page_faults_munmap_and_unbind_have_no_violation(string strategy)
    {
        var watch = Stopwatch.StartNew();
        int faulted = 0;
        long pages = 0, requests = 0, deliveries = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = SvaRace.Run(seed, strategy: strategy);
            if (o.DmaViolations.Count > 0) Assert.Fail($"seed {seed}: {o.DmaViolations[0]}");
            if (o.IopfViolations.Count > 0) Assert.Fail($"seed {seed}: {SvaMachine.Describe(o.IopfViolations[0])}");
            if (o.RefcountViolations.Count > 0) Assert.Fail($"seed {seed}: {SvaMachine.Describe(o.RefcountViolations[0])}");
            Assert.Equal(0, o.UseAfterFree);
            Assert.True(o.DataCorrect, $"seed {seed}: {o.DataError}");
            Assert.Equal(o.PageRequests, o.PageResponses);
            if (o.Faulted > 0) faulted++;
            pages += o.DmaPages;
            requests += o.PageRequests;
            deliveries += o.Deliveries;
        }
        output.WriteLine($"{strategy}: {Seeds} seeds in {watch.Elapsed.TotalSeconds:F2} s, {deliveries} deliveries, {pages} pages by PASID, " +
            $"{requests} page requests: 0 violations; {faulted} seeds had a burst fail (munmap or unbind)");
        Assert.True(faulted > 0 && requests > Seeds, $"faulted {faulted}, page requests {requests}");
    }

    [Fact]
    public void Without_the_pasid_invalidation_the_same_seeds_find_dma_to_a_freed_page() =>
        AssertCaught(new SvaMachineSpec { Sva = new SvaOptions { SkipPasidInvalidation = true } }, o => o.DmaViolations.Count > 0,
            o => Assert.Contains("after the invalidation (seq", o.DmaViolations[0].Message));

    [Fact]
    public void Serving_walks_during_an_invalidation_the_same_seeds_find_dma_to_a_freed_page() =>
        AssertCaught(new SvaMachineSpec { Mm = new MmOptions { ServeSvaWalksDuringInvalidation = true } }, o => o.DmaViolations.Count > 0 || o.UseAfterFree > 0,
            o => Assert.Contains("free", o.DmaViolations[0].Message));

    [Fact]
    public void Unbinding_without_the_fault_flush_the_same_seeds_find_a_response_after_unbind() =>
        AssertCaught(new SvaMachineSpec { Iopf = new IopfOptions { SkipFlushOnDetach = true } }, o => o.IopfViolations.Count > 0,
            o => Assert.Contains("unanswered (fault queue not flushed)", o.IopfViolations[0].Message));

    [Fact]
    public void Unbinding_without_the_queue_drain_the_same_seeds_find_a_fault_answered_after_unbind() =>
        AssertCaught(new SvaMachineSpec { Iopf = new IopfOptions { SkipQueueDrainOnDetach = true } }, o => o.IopfViolations.Count > 0,
            o => Assert.Contains(o.IopfViolations, v => v.Message.Contains("after the PASID was unbound")));

    [Fact]
    public void A_seed_replays_the_same_run()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var a = SvaRace.Run(seed);
            var b = SvaRace.Run(seed);
            Assert.Equal((a.DmaPages, a.PageRequests, a.Deliveries, a.TraceHash), (b.DmaPages, b.PageRequests, b.Deliveries, b.TraceHash));
        }
    }

    private void AssertCaught(SvaMachineSpec bugs, Func<SvaRace.Outcome, bool> caught, Action<SvaRace.Outcome> check)
    {
        var found = new List<SvaRace.Outcome>();
        for (ulong seed = 1; seed <= Seeds && found.Count < 10; seed++)
        {
            var o = SvaRace.Run(seed, bugs);
            if (caught(o)) found.Add(o);
        }
        Assert.True(found.Count > 0, $"no violation in {Seeds} seeds");
        output.WriteLine($"{found.Count} seeds (of the first {found[^1].Seed}) caught it; first, seed {found[0].Seed}:");
        output.WriteLine(found[0].DmaViolations.Count > 0 ? found[0].DmaViolations[0].ToString()
            : SvaMachine.Describe(found[0].IopfViolations.Count > 0 ? found[0].IopfViolations[0] : found[0].RefcountViolations[0]));
        check(found[0]);
    }
}
