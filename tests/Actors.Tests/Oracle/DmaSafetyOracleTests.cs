using IommuSim.Actors.Oracle;
using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>The oracle's rules, fed with hand-made trace events.</summary>
public sealed class DmaSafetyOracleTests(ITestOutputHelper output) : TestKit.TestKit(output)
{
    private static readonly AddressRange Range = AddressRange.FromLength(0x10_0000, 0x4000);
    private static readonly VirtAddr Inside = new(0x10_1000);

    private static DmaAccess Access(IActorRef mm, long mapSequence, bool write = false, int mappedGen = 1, int gen = 1, bool live = true) =>
        new("dev", mm, Inside, new Pfn(0x123), null, mappedGen, gen, live, write, mapSequence);

    private static void Invalidation(DmaSafetyOracle oracle, IActorRef mm, long seq, InvalidationEvent evt)
    {
        IReadOnlyList<InvalidationRange> ranges = [new InvalidationRange(Range, evt)];
        oracle.OnEvent(new InvalidationStarted(mm, ranges, seq, 1));
        oracle.OnEvent(new InvalidationEnded(mm, ranges, seq));
    }

    [Fact]
    public void An_access_through_a_mapping_older_than_a_completed_munmap_is_a_violation()
    {
        var oracle = new DmaSafetyOracle();
        var mm = CreateTestProbe().Ref;
        Invalidation(oracle, mm, 1, InvalidationEvent.Munmap);

        oracle.OnEvent(Access(mm, mapSequence: 2));
        Assert.Empty(oracle.Violations);

        oracle.OnEvent(Access(mm, mapSequence: 0));
        var v = Assert.Single(oracle.Violations);
        Assert.Equal((long?)1, v.InvalidationSequence);
        Assert.Equal("DMA read to pfn:123 at 0x101000 by device dev after the invalidation (seq 1) that removed it completed; the page is still allocated", v.Message);
        Assert.Contains(v.RecentEvents, e => e.StartsWith("invalidate end seq 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_protect_forbids_writes_but_not_reads()
    {
        var oracle = new DmaSafetyOracle();
        var mm = CreateTestProbe().Ref;
        Invalidation(oracle, mm, 1, InvalidationEvent.WriteProtect);

        oracle.OnEvent(Access(mm, 0, write: false));
        Assert.Empty(oracle.Violations);
        oracle.OnEvent(Access(mm, 0, write: true));
        Assert.Contains("DMA write", Assert.Single(oracle.Violations).Message);
    }

    [Fact]
    public void A_freed_or_reused_page_is_a_violation_even_while_its_invalidation_runs()
    {
        var oracle = new DmaSafetyOracle();
        var mm = CreateTestProbe().Ref;
        oracle.OnEvent(new InvalidationStarted(mm, [new InvalidationRange(Range, InvalidationEvent.Munmap)], 1, 1));

        oracle.OnEvent(Access(mm, 0, live: false));
        oracle.OnEvent(Access(mm, 0, mappedGen: 1, gen: 2));

        var v = oracle.Violations;
        Assert.Equal(2, v.Count);
        Assert.EndsWith("while its invalidation was still running: the page is free", v[0].Message);
        Assert.EndsWith("the page was freed and reused (generation 1 -> 2)", v[1].Message);
        Assert.All(v, x => Assert.Null(x.InvalidationSequence));
    }

    [Fact]
    public void Invalidations_of_another_mm_or_another_range_do_not_count()
    {
        var oracle = new DmaSafetyOracle();
        var mm = CreateTestProbe().Ref;
        var other = CreateTestProbe().Ref;
        Invalidation(oracle, other, 1, InvalidationEvent.Munmap);
        oracle.OnEvent(new InvalidationEnded(mm, [new InvalidationRange(AddressRange.FromLength(0x20_0000, 0x1000), InvalidationEvent.Munmap)], 3));

        oracle.OnEvent(Access(mm, 0));

        Assert.Empty(oracle.Violations);
        Assert.Equal(1, oracle.Accesses);
    }

    [Fact]
    public void Attached_to_an_event_stream_it_sees_published_events_until_disposed()
    {
        var oracle = DmaSafetyOracle.Attach(Sys.EventStream);
        var mm = CreateTestProbe().Ref;
        Sys.EventStream.Publish(new PageFreed(mm, new Pfn(0x123), 1));
        Assert.Equal(1, oracle.PagesFreed);
        oracle.Dispose();
        Sys.EventStream.Publish(new PageFreed(mm, new Pfn(0x123), 1));
        Assert.Equal(1, oracle.PagesFreed);
        Assert.False(Sys.EventStream.HasSubscribers(typeof(ITraceEvent)));
    }
}
