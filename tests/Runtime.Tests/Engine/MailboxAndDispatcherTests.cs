using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class MailboxAndDispatcherTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output, """
    small-drop-new { type = bounded, capacity = 10, overflow = drop-new }
    small-drop-head { type = bounded, capacity = 10, overflow = drop-head }
    """)
{
    private sealed class Gate : ReceiveActor
    {
        public Gate(SemaphoreSlim entered, SemaphoreSlim release)
        {
            Receive<string>(_ =>
            {
                entered.Release();
                release.Wait(TimeSpan.FromSeconds(10));
            });
            Receive<int>(i => Sender.Tell(i, Self));
        }
    }

    [Theory]
    [InlineData("small-drop-new", 0)]   // keeps the first 10
    [InlineData("small-drop-head", 10)] // keeps the last 10
    public void A_bounded_mailbox_applies_its_overflow_policy(string mailbox, int firstKept)
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        Sys.EventStream.Subscribe(TestActor, typeof(Dropped));
        var gate = Sys.ActorOf(Props.Create(() => new Gate(entered, release)).WithMailbox(mailbox));
        gate.Tell("block", ActorRefs.NoSender);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));
        var dropped0 = Sys.DroppedCount;
        for (var i = 0; i < 20; i++) gate.Tell(i, TestActor);
        Assert.Equal(10, Sys.DroppedCount - dropped0);
        var drops = ReceiveN(10).Cast<Dropped>().Select(d => (int)d.Message).ToList();
        release.Release();
        var kept = ReceiveN(10).Cast<int>().ToList();
        Assert.Equal(Enumerable.Range(firstKept, 10), kept);
        Assert.Equal(Enumerable.Range(0, 20).Except(kept), drops.Order());
    }

    [Fact]
    public void An_unknown_mailbox_or_dispatcher_id_is_a_configuration_error_naming_it()
    {
        var e = Assert.Throws<ConfigException>(() => Sys.ActorOf(Props.Create(() => new Echo()).WithMailbox("no-such-mailbox")));
        Assert.Contains("no-such-mailbox", e.Message);
        var d = Assert.Throws<ConfigException>(() => Sys.ActorOf(Props.Create(() => new Echo()).WithDispatcher("no-such-dispatcher")));
        Assert.Contains("no-such-dispatcher", d.Message);
    }

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => ReceiveAny(_ => Sender.Tell(Thread.CurrentThread.Name ?? "", Self));
    }

    [Fact]
    public void The_pinned_dispatcher_runs_each_actor_on_its_own_thread()
    {
        var a = Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher("pinned-dispatcher"), "pa");
        var b = Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher("akka.actor.pinned-dispatcher"), "pb");
        a.Tell(1, TestActor);
        Assert.Equal("pinned:akka://test/user/pa", ExpectMsg<string>());
        b.Tell(1, TestActor);
        Assert.Equal("pinned:akka://test/user/pb", ExpectMsg<string>());
        a.Tell(2, TestActor);
        Assert.Equal("pinned:akka://test/user/pa", ExpectMsg<string>());
    }

    [Fact]
    public void Scheduled_tells_arrive_once_or_repeatedly_until_cancelled()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(50), TestActor, "once", ActorRefs.NoSender);
        ExpectMsg("once");
        var repeating = Sys.Scheduler.ScheduleTellRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(20), TestActor, "tick", ActorRefs.NoSender);
        ExpectMsg("tick");
        ExpectMsg("tick");
        Assert.True(repeating.Cancel());
        Assert.False(repeating.Cancel());
        // Ticks already fired before the cancel may still be queued (more of them on a loaded
        // machine): drain them, then nothing more may come.
        Thread.Sleep(100);
        Assert.All(ReceiveN(QueuedMessages), m => Assert.Equal("tick", m));
        ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }
}
