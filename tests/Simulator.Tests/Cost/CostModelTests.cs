using IommuSim.Messages.Iommu;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Cost;
using IommuSim.Simulator.Metrics;
using IommuSim.Simulator.Tests.Metrics;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Simulator.Tests.Cost;

/// <summary>The cost model charges the virtual clock what sim.cost says (deterministic dispatcher only: it has the clock).</summary>
public sealed class CostModelTests(ITestOutputHelper output)
{
    // Whole multiples of the clock's 100 ns tick, so that no cost is carried between steps.
    private const string Whole = "invalidation = 100ns, sync = 1us, walk-level = 1us, ";

    private DeterministicTestKit Kit(string costs) => new(output, config: $"sim.cost {{ {Whole}{costs} }}");

    private static long NowNs(DeterministicTestKit kit) => kit.Dispatcher.Clock.NowTicks * 100;

    /// <summary>Runs <paramref name="action"/> and returns the simulated time and the deliveries it took.</summary>
    private static (long Ns, long Steps) Measure(DeterministicTestKit kit, Action action)
    {
        var (t, s) = (NowNs(kit), kit.Dispatcher.Steps);
        action();
        return (NowNs(kit) - t, kit.Dispatcher.Steps - s);
    }

    [Theory]
    [InlineData("1us", "300ns", "200ns", 1000, 300, 200)]
    [InlineData("3us", "100ns", "500ns", 3000, 100, 500)]
    [InlineData("2ns", "0ns", "0ns", 2, 0, 0)]
    public void A_burst_of_iotlb_hits_costs_its_hits_and_accesses_plus_a_hop_per_delivery(
        string hit, string access, string hop, long hitNs, long accessNs, long hopNs)
    {
        using var kit = Kit($"iotlb-hit = {hit}, memory-access = {access}, message-hop = {hop}");
        var stack = new SimStack(kit, "{ micro-tlb-entries = 0 }", ("nic0", 0));
        const int pages = 50;
        stack.MapPages(pages);
        using var meter = CostModel.FromConfig(kit.Sys.Settings.Config).Attach(kit.Sys, kit.Dispatcher);
        stack.DmaRead("nic0", pages); // walks, and fills the IOTLB

        var (ns, steps) = Measure(kit, () => stack.DmaRead("nic0", pages));

        // DmaRead to the device, UnitDma to the unit, UnitDmaDone back, DmaCompleted to the test.
        Assert.Equal(4, steps);
        // 50 x 2 ns = 100 ns: the unit carries what is below a tick until it adds up to one.
        Assert.Equal((pages * (hitNs + accessNs)) + (steps * hopNs), ns);
    }

    [Fact]
    public void An_ats_device_pays_a_translation_request_and_the_walk_then_only_its_atc_hits()
    {
        using var kit = Kit("micro-tlb-hit = 100ns, memory-access = 200ns, message-hop = 300ns, ats-translation = 2us");
        var stack = new SimStack(kit, "{}", ("gpu0", 64));
        const int pages = 16;
        stack.MapPages(pages);
        using var meter = CostModel.FromConfig(kit.Sys.Settings.Config).Attach(kit.Sys, kit.Dispatcher);

        var (miss, missSteps) = Measure(kit, () => stack.DmaRead("gpu0", pages));
        var levels = stack.Call<IommuUnitStats>(stack.Unit.Ref, new GetIommuUnitStats()).WalkLevels;
        Assert.True(levels >= pages);
        Assert.Equal((missSteps * 300) + 2000 + (levels * 1000) + (pages * 200), miss);

        var (hit, hitSteps) = Measure(kit, () => stack.DmaRead("gpu0", pages));
        Assert.Equal(2, hitSteps); // the device answers from its ATC without asking the unit
        Assert.Equal((hitSteps * 300) + (pages * (100 + 200)), hit);
    }

    [Fact]
    public void A_device_fault_costs_its_round_trip_and_the_mm_work_per_page_and_the_reads_their_accesses()
    {
        using var kit = Kit("message-hop = 100ns, device-fault = 10us, mm-fault = 1us, memory-access = 200ns");
        var stack = new SimStack(kit);
        var address = stack.Mmap(4);
        kit.Dispatcher.RunUntilQuiescent();
        using var meter = CostModel.FromConfig(kit.Sys.Settings.Config).Attach(kit.Sys, kit.Dispatcher);
        using var metrics = MetricsCollector.Attach(kit.Sys, () => NowNs(kit));

        var (ns, steps) = Measure(kit, () => stack.MirrorRead(address, 4));

        // MirrorRead (the fault starts), RangeFault to the mm, its reply (commit, read), the answer.
        Assert.Equal(4, steps);
        Assert.Equal((4 * 100) + 10_000 + (4 * 1_000) + (4 * 200), ns);
        // The fault: from its start to the commit, two deliveries later.
        var (figures, series) = metrics.Complete();
        Assert.Equal([(2 * 100) + 10_000 + (4 * 1_000)], series.FaultLatencyNs);
        Assert.Equal(14_200, figures[MetricNames.FaultLatency + "_p99_ns"]);
    }

    [Fact]
    public void Changing_sim_cost_changes_simulated_time_by_what_it_changed()
    {
        long Run(string costs)
        {
            using var kit = Kit(costs);
            var stack = new SimStack(kit, "{ micro-tlb-entries = 0 }", ("nic0", 0));
            stack.MapPages(8);
            var address = stack.Mmap(8);
            kit.Dispatcher.RunUntilQuiescent();
            using var meter = CostModel.FromConfig(kit.Sys.Settings.Config).Attach(kit.Sys, kit.Dispatcher);
            return Measure(kit, () =>
            {
                stack.DmaRead("nic0", 8);
                stack.DmaRead("nic0", 8);
                stack.MirrorRead(address, 8);
            }).Ns;
        }

        var base_ = Run("device-fault = 10us, iotlb-hit = 100ns");
        // One fault more expensive by 5 us; eight IOTLB hits by 400 ns each.
        Assert.Equal(5_000, Run("device-fault = 15us, iotlb-hit = 100ns") - base_);
        Assert.Equal(8 * 400, Run("device-fault = 10us, iotlb-hit = 500ns") - base_);
    }

    [Fact]
    public void Detached_it_charges_nothing_more()
    {
        using var kit = Kit("iotlb-hit = 1us, memory-access = 0ns, message-hop = 1us");
        var stack = new SimStack(kit, "{ micro-tlb-entries = 0 }", ("nic0", 0));
        stack.MapPages(4);
        stack.DmaRead("nic0", 4);
        var meter = CostModel.FromConfig(kit.Sys.Settings.Config).Attach(kit.Sys, kit.Dispatcher);
        Assert.Equal(4 * 1_000 + 4 * 1_000, Measure(kit, () => stack.DmaRead("nic0", 4)).Ns);
        meter.Dispose();
        meter.Dispose();
        // The unit still charges its hits; the hops are gone.
        Assert.Equal(4 * 1_000, Measure(kit, () => stack.DmaRead("nic0", 4)).Ns);
    }

    [Fact]
    public void The_defaults_are_akka_hocon_sim_cost()
    {
        var embedded = ConfigurationFactory.Default().GetConfig(CostModel.SettingsPath);
        Assert.Equal(CostModel.Keys.Order(), embedded.Keys.Order());
        var d = CostModel.Default;
        Assert.Equal((2.0, 80.0, 160.0, 500.0, 50.0), (d.IotlbHitNs, d.WalkLevelNs, d.MemoryAccessNs, d.SyncNs, d.MessageHopNs));
        Assert.Equal((20_000.0, 500.0, 1_000.0, 1_000.0), (d.DeviceFaultNs, d.MmFaultNs, d.AtsTranslationNs, d.AtcInvalidationNs));
        Assert.Equal((160.0, 100.0, 10.0), (d.PageCopyNs, d.TceExchangeNs, d.DirtyReadClearNs));
    }

    [Fact]
    public void A_config_that_sets_one_cost_keeps_the_others()
    {
        var model = CostModel.FromConfig(ConfigurationFactory.ParseString("sim.cost.device-fault = 45us"));
        Assert.Equal(45_000, model.DeviceFaultNs);
        Assert.Equal(CostModel.Default.MmFaultNs, model.MmFaultNs);
    }

    [Theory]
    [InlineData("sim.cost {\n  page-cpy = 1us\n}", "scenario.conf:2:14", "unknown cost 'sim.cost.page-cpy'; known: iotlb-hit,")]
    [InlineData("sim.cost {\n  sync = -1us\n}", "scenario.conf:2:10", "cost 'sim.cost.sync' must not be negative")]
    [InlineData("sim.cost {\n  sync = soon\n}", "scenario.conf:2:10", "'soon' is not a duration")]
    public void A_bad_cost_is_reported_where_it_was_written(string hocon, string position, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => CostModel.FromConfig(ConfigurationFactory.ParseString(hocon, "scenario.conf")));
        Assert.Equal(position, e.Position?.ToString());
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_attaches_only_to_the_system_s_own_deterministic_dispatcher()
    {
        using var kit = Kit("");
        using var other = Kit("");
        Assert.Throws<ArgumentException>(() => CostModel.Default.Attach(kit.Sys, other.Dispatcher));
    }
}
