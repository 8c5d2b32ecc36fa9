using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>The TCE pin oracle on hand-made event sequences: what it accepts and each breach it names.</summary>
public sealed class TcePinOracleTests
{
    private static readonly IActorRef Container = ActorRefs.Nobody;
    private static readonly Pfn A = new(0x200);
    private static readonly Pfn B = new(0x201);
    private const ulong Ioba = 0x10_0000;

    private static TceEntriesExchanged Exchange(Pfn? now, DmaDirection nowDirection, Pfn? old, DmaDirection oldDirection, ulong ioba = Ioba) =>
        new(Container, 12, [new TceExchange(ioba, now?.ToPhys() ?? default, nowDirection, old?.ToPhys() ?? default, oldDirection)]);

    private static TcePagesReleased Released(Pfn pfn, DmaDirection direction, bool dirty) => new(Container, [new TceRelease(pfn, direction, dirty, Errno.None)]);

    private static TceRequestDone Done(string request = "map") => new(Container, request, Errno.None);

    private static DeviceDma Dma(Pfn pfn, ulong iova = Ioba) => new("gpu0", Container, new Iova(iova), pfn, 1, true, true, false);

    /// <summary>Map A, DMA to it, map B over it (A waits for the kill, DMA to A still allowed), release A, unmap B.</summary>
    private static object[] CleanRun() =>
    [
        new TcePagesPinned(Container, [A]), Exchange(A, DmaDirection.Bidirectional, null, DmaDirection.None), Done(),
        Dma(A),
        new TcePagesPinned(Container, [B]), Exchange(B, DmaDirection.ToDevice, A, DmaDirection.Bidirectional),
        Dma(A), Dma(B),
        Released(A, DmaDirection.Bidirectional, dirty: true), Done(),
        Exchange(null, DmaDirection.None, B, DmaDirection.ToDevice), Released(B, DmaDirection.ToDevice, dirty: false), Done("unmap"),
    ];

    private static TcePinOracle Feed(IEnumerable<object> events)
    {
        var oracle = new TcePinOracle();
        foreach (var e in events) oracle.OnEvent(e);
        return oracle;
    }

    [Fact]
    public void A_map_a_replacing_map_and_an_unmap_with_their_releases_are_clean_to_teardown()
    {
        var oracle = Feed(CleanRun());
        oracle.CheckTeardown();
        Assert.Empty(oracle.Violations);
        Assert.Equal((3L, 2L, 3L), (oracle.Exchanges, oracle.Releases, oracle.DmaChecked));
        Assert.Equal(TcePinOracle.PinInvariant, oracle.Invariant);
    }

    [Fact]
    public void An_entry_made_valid_without_a_pin_is_a_violation()
    {
        var oracle = Feed([Exchange(A, DmaDirection.ToDevice, null, DmaDirection.None)]);
        Assert.Contains("without a pin the container held", Assert.Single(oracle.Violations).Message);
    }

    [Fact]
    public void An_entry_made_valid_with_a_page_physical_memory_does_not_count_as_pinned_is_a_violation()
    {
        var memory = new PhysicalMemory(1UL << 20);
        Assert.Equal(Errno.None, memory.AllocPage(out var pfn));
        var oracle = new TcePinOracle(memory);
        oracle.OnEvent(new TcePagesPinned(Container, [pfn]));
        oracle.OnEvent(Exchange(pfn, DmaDirection.ToDevice, null, DmaDirection.None));
        Assert.Contains("does not count as pinned", Assert.Single(oracle.Violations).Message);
    }

    [Fact]
    public void A_second_release_of_the_same_pin_is_a_violation()
    {
        var oracle = Feed([.. CleanRun(), Released(B, DmaDirection.ToDevice, dirty: false)]);
        Assert.Contains("released twice, or never held", Assert.Single(oracle.Violations).Message);
    }

    [Fact]
    public void A_page_released_from_a_writable_tce_without_the_dirty_mark_breaks_the_dirty_rule()
    {
        var events = CleanRun();
        events[8] = Released(A, DmaDirection.Bidirectional, dirty: false);
        var v = Assert.Single(Feed(events).Violations);
        Assert.Equal(TcePinOracle.DirtyInvariant, v.Invariant);
        Assert.Equal([A.ToString()], v.Pages);
    }

    [Fact]
    public void A_request_answered_with_a_replaced_page_not_yet_released_breaks_pins_equal_valid_tces()
    {
        var oracle = Feed(CleanRun()[..6].Append(Done()));
        Assert.Contains("1 replaced and not released", Assert.Single(oracle.Violations).Message);
    }

    [Fact]
    public void A_device_dma_to_a_page_whose_pin_was_released_is_a_violation()
    {
        var oracle = Feed([.. CleanRun()[..10], Dma(A)]);
        var v = Assert.Single(oracle.Violations);
        Assert.Contains("no longer holds a pin for", v.Message);
        Assert.NotEmpty(v.RecentEvents);
    }

    [Fact]
    public void An_exchange_handing_back_another_page_than_the_entry_held_is_a_violation()
    {
        var oracle = Feed([new TcePagesPinned(Container, [A]), Exchange(A, DmaDirection.ToDevice, null, DmaDirection.None),
            Exchange(null, DmaDirection.None, B, DmaDirection.ToDevice)]);
        Assert.Contains("handed back", oracle.Violations[0].Message);
    }

    [Fact]
    public void Pins_still_held_at_teardown_are_a_violation()
    {
        var oracle = Feed(CleanRun()[..3]);
        Assert.Empty(oracle.Violations);
        oracle.CheckTeardown();
        Assert.Contains("1 pins were never released", Assert.Single(oracle.Violations).Message);
    }
}
