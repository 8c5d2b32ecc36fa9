using IommuSim.Runtime;
using IommuSim.Runtime.Deterministic;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class DeterministicDispatcherTests(ITestOutputHelper output)
{
    /// <summary>Two writers race to a register; the reader's view depends on the interleaving.</summary>
    private sealed class Register : ReceiveActor
    {
        public Register(List<string> order) => Receive<string>(s => order.Add(s));
    }

    private sealed class Writer : ReceiveActor
    {
        public Writer(IActorRef register, string name) => Receive<int>(n =>
        {
            for (var i = 0; i < n; i++) register.Tell($"{name}{i}", Self);
        });
    }

    private static (string Order, ulong Hash, int[] Schedule) RunRace(ulong seed, string strategy = "random", IReadOnlyList<int>? replay = null)
    {
        // PCT draws its change points from [1, pct-max-steps]: it needs an estimate of the run's
        // length (here 8 deliveries), or no change point ever falls inside the run.
        using var kit = new DeterministicTestKit(null, seed, strategy, "akka.actor.default-dispatcher.pct-max-steps = 8");
        var order = new List<string>();
        var register = kit.Sys.ActorOf(Props.Create(() => new Register(order)), "register");
        var a = kit.Sys.ActorOf(Props.Create(() => new Writer(register, "a")), "a");
        var b = kit.Sys.ActorOf(Props.Create(() => new Writer(register, "b")), "b");
        var d = kit.Dispatcher;
        if (replay != null) d.UseStrategy(new ReplayStrategy(replay));
        a.Tell(3, ActorRefs.NoSender);
        b.Tell(3, ActorRefs.NoSender);
        d.RunUntilQuiescent();
        return (string.Join(",", order), d.TraceHash, d.Recorded!.ToArray());
    }

    [Fact]
    public void The_same_seed_gives_the_same_trace_hash_and_the_same_interleaving()
    {
        var first = RunRace(42);
        var second = RunRace(42);
        Assert.Equal(first.Order, second.Order);
        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(first.Schedule, second.Schedule);
    }

    [Fact]
    public void Different_seeds_reach_different_interleavings_keeping_per_sender_order()
    {
        var orders = new HashSet<string>();
        for (ulong seed = 1; seed <= 30; seed++)
        {
            var run = RunRace(seed);
            orders.Add(run.Order);
            var items = run.Order.Split(',');
            // Per-sender FIFO: a0 before a1 before a2, b0 before b1 before b2, whatever the interleaving.
            Assert.Equal(["a0", "a1", "a2"], items.Where(x => x[0] == 'a'));
            Assert.Equal(["b0", "b1", "b2"], items.Where(x => x[0] == 'b'));
        }
        output.WriteLine($"{orders.Count} distinct interleavings over 30 seeds");
        Assert.True(orders.Count >= 5, $"only {orders.Count} interleavings over 30 seeds");
    }

    [Fact]
    public void A_recorded_schedule_replays_the_same_trace_under_any_seed()
    {
        var original = RunRace(7);
        var replayed = RunRace(999, replay: original.Schedule);
        Assert.Equal(original.Order, replayed.Order);
        Assert.Equal(original.Hash, replayed.Hash);
    }

    [Fact]
    public void A_schedule_that_does_not_fit_the_run_is_reported_as_a_divergence()
    {
        var original = RunRace(7);
        var wrong = original.Schedule.Select(c => c + 5).ToArray();
        Assert.Throws<ScheduleDivergedException>(() => RunRace(7, replay: wrong));
    }

    [Fact]
    public void PCT_is_deterministic_per_seed_and_explores_orders()
    {
        Assert.Equal(RunRace(5, "pct").Hash, RunRace(5, "pct").Hash);
        var orders = Enumerable.Range(1, 30).Select(s => RunRace((ulong)s, "pct").Order).ToHashSet();
        output.WriteLine($"PCT: {orders.Count} distinct interleavings over 30 seeds");
        Assert.True(orders.Count >= 3, $"PCT found only {orders.Count} interleavings");
    }

    [Fact]
    public void PCT_change_points_are_drawn_within_the_configured_range()
    {
        var pct = new PctStrategy(3, depth: 4, maxSteps: 100);
        Assert.Equal(3, pct.ChangePoints.Count);
        Assert.All(pct.ChangePoints, p => Assert.InRange(p, 1, 100));
        Assert.Equal(pct.ChangePoints.Order(), pct.ChangePoints);
    }

    [Fact]
    public void Timers_and_receive_timeouts_run_in_virtual_time()
    {
        using var kit = new DeterministicTestKit(output);
        var d = kit.Dispatcher;
        kit.Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromHours(1), kit.TestActor, "an hour later", ActorRefs.NoSender);
        kit.ExpectMsg("an hour later", TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.FromHours(1), d.Clock.Now);

        var ticks = kit.Sys.Scheduler.ScheduleTellRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), kit.TestActor, "tick", ActorRefs.NoSender);
        d.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(10, kit.QueuedMessages);
        ticks.Cancel();
        d.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(10, kit.QueuedMessages);
    }

    [Fact]
    public void Ask_timeout_costs_virtual_time_only()
    {
        using var kit = new DeterministicTestKit(output);
        var silent = kit.Sys.ActorOf(Props.Create(() => new Register([])));
        var task = silent.Ask<string>("no reply", TimeSpan.FromMinutes(5));
        kit.Dispatcher.RunUntilQuiescent();
        Assert.True(task.IsFaulted);
        Assert.IsType<AskTimeoutException>(task.Exception!.InnerException);
        Assert.Equal(TimeSpan.FromMinutes(5), kit.Dispatcher.Clock.Now);
        Assert.Equal(0, kit.Sys.PendingAsks);
    }

    [Fact]
    public void Step_delivers_one_message_at_a_time()
    {
        using var kit = new DeterministicTestKit(output);
        var order = new List<string>();
        var register = kit.Sys.ActorOf(Props.Create(() => new Register(order)));
        register.Tell("x", ActorRefs.NoSender);
        register.Tell("y", ActorRefs.NoSender);
        var d = kit.Dispatcher;
        Assert.True(d.Step());
        Assert.Equal(["x"], order);
        Assert.True(d.Step());
        Assert.False(d.Step());
        Assert.Equal(["x", "y"], order);
        Assert.Equal(2, d.Steps);
    }

    [Fact]
    public void A_livelock_stops_at_the_step_limit_with_a_clear_error()
    {
        using var kit = new DeterministicTestKit(output, config: "akka.actor.default-dispatcher.max-steps = 1000");
        var echo = kit.Sys.ActorOf(Props.Create(() => new Echo()));
        var echo2 = kit.Sys.ActorOf(Props.Create(() => new Echo()));
        echo.Tell("ball", echo2); // the two echo the ball back and forth forever
        var e = Assert.Throws<InvalidOperationException>(() => kit.Dispatcher.RunUntilQuiescent());
        Assert.Contains("1000 deliveries", e.Message);
    }

    [Fact]
    public void The_test_kit_API_works_on_the_deterministic_dispatcher()
    {
        using var kit = new DeterministicTestKit(output, seed: 3);
        var counter = kit.Sys.ActorOf(Props.Create(() => new Counter(null, "c")));
        // One sender: per-sender FIFO holds (messages of different senders may be reordered).
        kit.Send(counter, 2);
        kit.Send(counter, "fail");
        kit.Send(counter, 5);
        kit.Send(counter, "get");
        kit.ExpectMsg(5);   // restarted by the default strategy, mailbox kept
        kit.Watch(counter);
        counter.Tell(PoisonPill.Instance, ActorRefs.NoSender);
        kit.ExpectTerminated(counter);
        kit.ExpectNoMsg(TimeSpan.FromSeconds(30));
        Assert.Equal(kit.Dilated(TimeSpan.FromSeconds(30)), kit.Dispatcher.Clock.Now);
    }

    /// <summary>Stashes everything until told to open; then replays in order.</summary>
    private sealed class Gate : ReceiveActor, IWithUnboundedStash
    {
        public Gate(List<string> seen)
        {
            Receive<string>(s => s == "open", _ =>
            {
                Become(() => Receive<string>(seen.Add));
                Stash.UnstashAll();
            });
            Receive<string>(_ => Stash.Stash());
        }
    }

    [Fact]
    public void Unstashed_messages_stay_ahead_of_later_messages_from_the_same_sender()
    {
        for (ulong seed = 1; seed <= 200; seed++)
        {
            using var kit = new DeterministicTestKit(null, seed);
            var seen = new List<string>();
            var gate = kit.Sys.ActorOf(Props.Create(() => new Gate(seen)));
            var sender = kit.Sys.ActorOf(Props.Create(() => new Forwarder(gate)));
            var opener = kit.Sys.ActorOf(Props.Create(() => new Forwarder(gate)));
            sender.Tell("a", ActorRefs.NoSender);
            kit.Dispatcher.RunUntilQuiescent();      // "a" is stashed
            sender.Tell("b", ActorRefs.NoSender);    // races with the opener's unstash
            opener.Tell("open", ActorRefs.NoSender);
            kit.Dispatcher.RunUntilQuiescent();
            Assert.Equal(["a", "b"], seen);
        }
    }

    /// <summary>Sends what it receives on to the target, as itself.</summary>
    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => Receive<string>(s => target.Tell(s, Self));
    }
}
