using System.Diagnostics;
using IommuSim.Actors.Oracle;
using IommuSim.Actors.Tce;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Tce;

/// <summary>
/// <see cref="TceRace"/> over a thousand schedules: concurrent MAP_DMA/UNMAP_DMA from several
/// senders and device DMA keep the pinned pages equal to the valid TCEs at every step, release
/// every pin exactly once (none left at teardown), mark what the device could write dirty, and
/// land every device write in the right page; each injected bug is caught within the same seeds.
/// </summary>
public sealed class TceRaceTests(ITestOutputHelper output)
{
    private const int Seeds = 1000;

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void A_thousand_seeds_of_concurrent_map_and_unmap_against_device_dma_keep_the_pins_equal_to_the_valid_tces(string strategy)
    {
        var watch = Stopwatch.StartNew();
        long maps = 0, rollbacks = 0, pages = 0, faults = 0, exchanges = 0, releases = 0, checkedDma = 0, deliveries = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = TceRace.Run(seed, strategy: strategy);
            if (o.Violations.Count > 0) Assert.Fail($"seed {seed}: {o.Violations[0]}");
            if (o.Errors.Count > 0) Assert.Fail($"seed {seed}: {o.Errors[0]}");
            Assert.Equal((0L, 0L), (o.PinsLeft, o.LivePages));
            maps += o.MapsOk;
            rollbacks += o.Rollbacks;
            pages += o.DmaPages;
            faults += o.DmaFaults;
            exchanges += o.Exchanges;
            releases += o.Releases;
            checkedDma += o.DmaChecked;
            deliveries += o.Deliveries;
        }
        output.WriteLine($"{strategy}: {Seeds} seeds in {watch.Elapsed.TotalSeconds:F2} s, {deliveries} deliveries: {maps} maps, {rollbacks} rolled back half way, " +
            $"{exchanges} TCE changes, {releases} pins released, {pages} DMA pages ({checkedDma} checked against the TCEs), {faults} bursts faulted; 0 violations");
        // The schedules raced: bursts hit both mapped and unmapped slots, and builds failed half way.
        Assert.True(faults > 0 && pages > 0 && rollbacks > 0 && checkedDma > 0, $"faults {faults}, pages {pages}, rollbacks {rollbacks}");
    }

    [Fact]
    public void Without_the_dirty_mark_on_release_the_oracle_finds_a_writable_page_released_clean()
    {
        var found = FindViolations(new TceContainerOptions { SkipDirtyOnRelease = true }, TcePinOracle.DirtyInvariant);
        Assert.Contains("without the dirty mark", found.Violations[0]);
    }

    [Fact]
    public void With_the_kill_before_the_exchange_the_same_seeds_find_a_device_dma_through_a_stale_tce()
    {
        var found = FindViolations(new TceContainerOptions { InvalidateBeforeExchange = true }, TcePinOracle.PinInvariant);
        Assert.Contains("through a TCE the container no longer holds a pin for", found.Violations.First(v => v.StartsWith(TcePinOracle.PinInvariant, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_seed_replays_the_same_run()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var a = TceRace.Run(seed);
            var b = TceRace.Run(seed);
            Assert.Equal((a.MapsOk, a.DmaPages, a.Exchanges, a.Deliveries, a.TraceHash), (b.MapsOk, b.DmaPages, b.Exchanges, b.Deliveries, b.TraceHash));
        }
    }

    private TceRace.Outcome FindViolations(TceContainerOptions bug, string invariant)
    {
        var found = new List<TceRace.Outcome>();
        for (ulong seed = 1; seed <= Seeds && found.Count < 5; seed++)
        {
            var o = TceRace.Run(seed, bug);
            if (o.Violations.Any(v => v.StartsWith(invariant + ":", StringComparison.Ordinal))) found.Add(o);
        }
        Assert.True(found.Count > 0, $"no {invariant} violation in {Seeds} seeds");
        output.WriteLine($"first, seed {found[0].Seed}: {found[0].Violations.First(v => v.StartsWith(invariant + ":", StringComparison.Ordinal))}");
        return found[0];
    }
}
