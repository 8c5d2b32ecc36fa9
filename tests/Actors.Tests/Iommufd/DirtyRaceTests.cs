using System.Diagnostics;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// A thousand schedules of <see cref="DirtyRace"/>: every device write while tracking is on is
/// reported by exactly one read-and-clear (the oracle's check, and the test's own page by page),
/// the pinned pages equal the mapped areas, and pins and frames are back to zero at teardown; the
/// injected bug is caught within the same seeds.
/// </summary>
public sealed class DirtyRaceTests(ITestOutputHelper output)
{
    private const int Seeds = 1000;

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void A_thousand_seeds_of_device_writes_against_read_and_clear_report_every_write_exactly_once(string strategy)
    {
        var watch = Stopwatch.StartNew();
        long writes = 0, duringReads = 0, deliveries = 0, reads = 0;
        var seedsWithWritesDuringReads = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = DirtyRace.Run(seed, strategy: strategy);
            if (o.Violations.Count > 0) Assert.Fail($"seed {seed}: {o.Violations[0].Message}\n  {string.Join("\n  ", o.Violations[0].RecentEvents)}");
            Assert.True(o.EveryWriteReported, $"seed {seed}: a written page is in no bitmap");
            Assert.True(o.NoExtraReports, $"seed {seed}: a page was reported by more clearing reads than writes dirtied it");
            Assert.True(o.DataCorrect, $"seed {seed}: guest memory does not hold the last values written");
            Assert.True(o.PinsReleased, $"seed {seed}: pins left after teardown");
            Assert.Equal(0, o.LiveFrames);
            writes += o.Writes;
            duringReads += o.WritesDuringReads;
            if (o.WritesDuringReads > 0) seedsWithWritesDuringReads++;
            deliveries += o.Deliveries;
            reads += o.Reads;
        }
        output.WriteLine($"{strategy}: {Seeds} seeds in {watch.Elapsed.TotalSeconds:F2} s, {deliveries} deliveries, {writes} device page writes checked, " +
            $"{reads} bitmaps read; {duringReads} writes through a translation cached dirty while a read was in flight ({seedsWithWritesDuringReads} seeds); 0 violations");
        Assert.True(writes > Seeds * 10, $"only {writes} writes checked");
        // The schedules raced: some writes landed between a read's clear and its IOTLB sync.
        Assert.True(seedsWithWritesDuringReads > 0, "no write ever raced a read in flight");
    }

    [Fact]
    public void Clearing_dirty_bits_without_reporting_them_is_caught_by_the_oracle_and_by_the_bitmaps()
    {
        var bug = new IommuDomainOptions { ClearDirtyWithoutReport = true };
        int caught = 0, missedPages = 0;
        DirtyRace.Outcome? first = null;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = DirtyRace.Run(seed, bug);
            if (o.Violations.Count > 0)
            {
                caught++;
                first ??= o;
            }
            if (!o.EveryWriteReported) missedPages++;
            // Whenever a written page is missing from every bitmap, the oracle saw it.
            Assert.True(o.EveryWriteReported || o.Violations.Count > 0, $"seed {seed}: a lost write the oracle did not see");
        }
        output.WriteLine($"{caught} of {Seeds} seeds violate the invariant, {missedPages} lost a written page from every bitmap");
        Assert.NotNull(first);
        Assert.True(missedPages > 0);
        var v = first.Violations[0];
        output.WriteLine($"first, seed {first.Seed}: {v.Message}");
        Assert.Equal(DirtyTrackingOracle.InvariantName, v.Invariant);
        Assert.Contains("cleared without being reported", v.Message);
    }

    [Fact]
    public void A_seed_replays_the_same_run()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var a = DirtyRace.Run(seed);
            var b = DirtyRace.Run(seed);
            Assert.Equal((a.Writes, a.WritesDuringReads, a.Reads, a.Deliveries, a.TraceHash), (b.Writes, b.WritesDuringReads, b.Reads, b.Deliveries, b.TraceHash));
        }
    }
}
