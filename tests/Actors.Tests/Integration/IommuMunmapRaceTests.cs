using System.Diagnostics;
using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Messages;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Integration;

/// <summary>
/// The DMA safety check over a thousand schedules of <see cref="IommuMunmapRace"/> over the real
/// actors: no device may DMA by IOVA to a page after the invalidation that removed its mapping
/// completed, and each injected bug must be caught within the same seeds.
/// </summary>
public sealed class IommuMunmapRaceTests(ITestOutputHelper output)
{
    private const int Seeds = 1000;

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void A_thousand_seeds_of_munmap_against_device_faults_and_dma_by_iova_have_no_violation(string strategy)
    {
        var watch = Stopwatch.StartNew();
        int readOk = 0, readFailed = 0, faulted = 0;
        long pages = 0, accesses = 0, deliveries = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = IommuMunmapRace.Run(seed, strategy: strategy);
            if (o.Violations.Count > 0) Assert.Fail($"seed {seed}: {o.Violations[0]}");
            Assert.Equal(0, o.UseAfterFree);
            Assert.True(o.DataCorrect, $"seed {seed}: a device read wrong values by IOVA");
            Assert.True(o.ReadErrno is Errno.None or Errno.EFAULT, $"seed {seed}: {o.ReadErrno}");
            if (o.ReadErrno == Errno.None) readOk++;
            else readFailed++;
            if (o.DmaFaults > 0) faulted++;
            pages += o.DmaPages;
            accesses += o.DeviceAccesses;
            deliveries += o.Deliveries;
        }
        output.WriteLine($"{strategy}: {Seeds} seeds in {watch.Elapsed.TotalSeconds:F2} s, {deliveries} deliveries, {accesses} DMA page accesses by IOVA " +
            $"({pages} pages returned): 0 violations, 0 uses after free; {readOk} mirror reads completed, {readFailed} failed with EFAULT, " +
            $"{faulted} seeds had a DMA burst stop on a translation fault after the munmap");
        // The schedules raced: some devices DMAed and then faulted on the unmapped half, some reads lost to the munmap.
        Assert.True(readOk > 0 && readFailed > 0 && faulted > 0, $"completed {readOk}, efault {readFailed}, faulted {faulted}");
    }

    [Fact]
    public void Without_the_unmap_on_munmap_the_same_seeds_find_a_dma_by_iova_to_a_freed_page()
    {
        var bugs = new MachineBugs { HmmDomain = new HmmDomainOptions { SkipUnmapOnMunmap = true } };
        var found = FindViolations(bugs);
        var v = found[0].Violations[0];
        Assert.Contains("after the invalidation (seq", v.Message);
        Assert.Contains("the page is free", v.Message);
        Assert.NotNull(v.Iova);
        Assert.NotNull(v.InvalidationSequence);
        Assert.True(found[0].UseAfterFree > 0);
    }

    [Fact]
    public void Without_the_iotlb_sync_after_unmap_the_same_seeds_find_a_dma_through_a_stale_translation()
    {
        var bugs = new MachineBugs { IommuDomain = new IommuDomainOptions { SkipIotlbSyncAfterUnmap = true } };
        var found = FindViolations(bugs);
        var v = found[0].Violations[0];
        Assert.Contains("answered the unmap of IOVA", v.Message);
        Assert.Contains("answered before any IOTLB sync", v.Message);
        Assert.StartsWith("unmap of IOVA", v.Invalidation);
    }

    [Fact]
    public void A_seed_replays_the_same_run()
    {
        var bugs = new MachineBugs { HmmDomain = new HmmDomainOptions { SkipUnmapOnMunmap = true } };
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var a = IommuMunmapRace.Run(seed, bugs);
            var b = IommuMunmapRace.Run(seed, bugs);
            Assert.Equal((a.ReadErrno, a.Violations.Count, a.DmaPages, a.Deliveries, a.TraceHash), (b.ReadErrno, b.Violations.Count, b.DmaPages, b.Deliveries, b.TraceHash));
        }
    }

    private List<IommuMunmapRace.Outcome> FindViolations(MachineBugs bugs)
    {
        var found = new List<IommuMunmapRace.Outcome>();
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = IommuMunmapRace.Run(seed, bugs);
            if (o.Violations.Count > 0) found.Add(o);
        }
        output.WriteLine($"{found.Count} of {Seeds} seeds violate the invariant");
        Assert.True(found.Count > 0, $"no violation in {Seeds} seeds");
        output.WriteLine($"first, seed {found[0].Seed}: {found[0].Violations[0]}");
        return found;
    }
}
