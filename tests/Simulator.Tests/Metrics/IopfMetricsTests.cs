using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Scenarios;
using IommuSim.Simulator.Runner;
using IommuSim.TestKit;
using Xunit;

namespace IommuSim.Simulator.Tests.Metrics;

/// <summary>The I/O page fault handler: groups paired request to response, latencies, the "iopf" timeline and the SVA counts.</summary>
public sealed class IopfMetricsTests
{
    [Fact]
    public void A_group_runs_from_its_first_request_to_its_response()
    {
        using var kit = new DeterministicTestKit(null, 1, "random", "akka.loglevel = WARNING");
        long clock = 0;
        using var collector = MetricsCollector.Attach(kit.Sys, () => clock, new RunSeriesBuilder(), s => [new IopfMetrics(s)]);
        void Send(object e, long now)
        {
            clock = now;
            collector.OnEvent(e);
        }
        var pasid = new Pasid(5);
        Send(new PageRequestQueued("u0", "d0", pasid, 1, new VirtAddr(0x1000), false, false, false), 100);
        Send(new PageRequestQueued("u0", "d0", pasid, 1, new VirtAddr(0x2000), false, true, false), 150);
        Send(new PageRequestQueued("u1", "d1", pasid, 1, new VirtAddr(0x1000), true, true, true), 200);
        Send(new PageResponseSent("u0", "d0", pasid, 1, PageResponseCode.Success), 1100);
        Send(new PageResponseSent("u1", "d1", pasid, 1, PageResponseCode.Invalid), 3200);
        // A response for no open group (answered twice) counts, but has no latency.
        Send(new PageResponseSent("u1", "d1", pasid, 1, PageResponseCode.Invalid), 4000);
        clock = 5000;
        var (metrics, series) = collector.Complete();

        Assert.Equal(3, metrics[IopfMetrics.PageRequests]);
        Assert.Equal(1, metrics[IopfMetrics.PageRequestsDropped]);
        Assert.Equal(3, metrics[IopfMetrics.Responses]);
        Assert.Equal(2, metrics[IopfMetrics.ResponsesInvalid]);
        Assert.Equal(1000, metrics[IopfMetrics.Latency + "_p50_ns"]);
        Assert.Equal(3000, metrics[IopfMetrics.Latency + "_p99_ns"]);
        var timeline = series.Timeline;
        Assert.Equal(["iopf", "iopf"], timeline.Select(t => t.Kind));
        Assert.Equal((100L, 1000L, "d0"), (timeline[0].TimeNs, timeline[0].DurationNs, timeline[0].Actor));
        Assert.Contains("2 read request(s)", timeline[0].Detail);
    }

    [Fact]
    public void A_run_without_sva_reports_no_iopf_figures()
    {
        var metrics = new Dictionary<string, double>();
        new IopfMetrics(new RunSeriesBuilder()).Complete(metrics, 10);
        Assert.Empty(metrics);
    }

    [Theory]
    [InlineData("sva-multi-unit", 4)]
    [InlineData("sva-multi-unit-shared", 2)]
    public void The_built_in_scenarios_report_faults_answered_and_the_domains_of_their_sharing(string name, int domains)
    {
        var scenario = ScenarioLibrary.BuiltIn(name);
        var report = ScenarioRunner.Run(scenario, new RunSettings { Seed = scenario.DefaultSeed, Metrics = true }).Report;
        Assert.Empty(report.Violations);
        var m = report.Metrics;
        Assert.Equal(domains, m[IopfMetrics.SvaDomainsAllocated]);
        Assert.Equal(5, m[IopfMetrics.SvaBinds]);
        Assert.True(m[IopfMetrics.PageRequests] > 0);
        Assert.Equal(m[IopfMetrics.PageRequests], m[IopfMetrics.Responses]);
        Assert.True(m[IopfMetrics.Latency + "_p99_ns"] >= m[IopfMetrics.Latency + "_p50_ns"]);
        Assert.Contains(report.Series.Timeline, t => t.Kind == "iopf");
    }
}
