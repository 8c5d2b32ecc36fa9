using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Reports.Charts;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed class TimelineLayoutTests
{
    [Fact]
    public void One_lane_per_actor_in_ordinal_order_with_one_row_per_kind()
    {
        var layout = TimelineLayout.Of(SyntheticReports.Timeline, 1_000);
        Assert.Equal(["iommu:0", "mirror:0", "mm:1"], layout.Lanes.Select(l => l.Label));
        Assert.Equal(["invalidation", "fault", "iopf"], layout.Kinds);
        Assert.Equal(["invalidation", "iopf"], layout.Lanes[0].Rows);
        Assert.Equal(6, layout.SpanCount);
        Assert.Equal((0L, 100_000L), (layout.StartNs, layout.EndNs));
        var last = layout.Lanes[0].Spans.Single(s => s.Kind == "invalidation");
        Assert.Equal((900.0, 1_000.0, 0), (last.X0, last.X1, last.Row));
    }

    [Fact]
    public void Events_within_the_same_pixels_are_merged_and_instants_stay_visible()
    {
        // 1,000 instants 1 ns apart on a 100 px axis spanning 1 µs, then one far away.
        var events = Enumerable.Range(0, 1_000).Select(i => new TimelineEvent(i, 0, "fault", "mirror:0", $"f{i}"))
            .Append(new TimelineEvent(100_000, 0, "fault", "mirror:0", "late")).ToList();
        var layout = TimelineLayout.Of(events, 100);
        var spans = layout.Lanes.Single().Spans;
        Assert.Equal(2, spans.Count);
        Assert.Equal(1_000, spans[0].Count);
        Assert.Equal("f0", spans[0].First.Detail);
        Assert.Equal(TimelineLayout.MinSpanWidth, spans[1].X1 - spans[1].X0, 6);
    }

    [Fact]
    public void Actors_beyond_the_cap_share_one_lane_and_no_event_is_lost()
    {
        var events = Enumerable.Range(0, 60).SelectMany(a => Enumerable.Range(0, a + 1)
            .Select(i => new TimelineEvent(i * 1_000L, 100, "invalidation", $"mirror:{a:D2}", ""))).ToList();
        var layout = TimelineLayout.Of(events, 800, maxLanes: 10);
        Assert.Equal(10, layout.Lanes.Count);
        Assert.Equal("(51 other actors)", layout.Lanes[^1].Label);
        // The busiest nine (mirror:51..59) keep their lanes.
        Assert.Equal(Enumerable.Range(51, 9).Select(a => $"mirror:{a:D2}"), layout.Lanes.Take(9).Select(l => l.Label));
        Assert.Equal(events.Count, layout.Lanes.Sum(l => l.Events));
    }

    [Fact]
    public void No_events_no_lanes()
    {
        var layout = TimelineLayout.Of([], 500);
        Assert.Empty(layout.Lanes);
        Assert.Equal(0, layout.Events);
    }
}
