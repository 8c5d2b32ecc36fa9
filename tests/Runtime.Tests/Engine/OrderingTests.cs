using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class OrderingTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private sealed record Numbered(int Sender, int Seq);

    /// <summary>Checks, per sender, that sequence numbers arrive in order; reports the first gap.</summary>
    private sealed class SequenceChecker : ReceiveActor
    {
        private readonly Dictionary<int, int> _next = [];
        private int _received;
        private string? _error;

        public SequenceChecker(int expected, IActorRef report)
        {
            Receive<Numbered>(n =>
            {
                _next.TryGetValue(n.Sender, out var want);
                if (n.Seq != want && _error == null) _error = $"sender {n.Sender}: got {n.Seq}, expected {want}";
                _next[n.Sender] = n.Seq + 1;
                if (++_received == expected) report.Tell(_error ?? "in order", Self);
            });
        }
    }

    [Fact]
    public void Messages_from_one_sender_arrive_in_send_order_while_many_senders_interleave()
    {
        const int senders = 8, perSender = 20_000;
        var checker = Sys.ActorOf(Props.Create(() => new SequenceChecker(senders * perSender, TestActor)));
        Parallel.For(0, senders, s =>
        {
            for (var i = 0; i < perSender; i++) checker.Tell(new Numbered(s, i), ActorRefs.NoSender);
        });
        ExpectMsg("in order", TimeSpan.FromSeconds(20));
    }

    private sealed class Blocking : ReceiveActor
    {
        public Blocking(SemaphoreSlim entered, SemaphoreSlim release, List<int> processed)
        {
            Receive<int>(i =>
            {
                lock (processed) processed.Add(i);
                if (i == 0)
                {
                    entered.Release();
                    release.Wait(TimeSpan.FromSeconds(10));
                }
            });
        }
    }

    [Fact]
    public void A_stop_overtakes_user_messages_already_queued_and_those_become_dead_letters()
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var processed = new List<int>();
        var actor = Sys.ActorOf(Props.Create(() => new Blocking(entered, release, processed)));
        Watch(actor);
        var deadBefore = Sys.DeadLetterCount;
        actor.Tell(0, ActorRefs.NoSender);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));
        for (var i = 1; i <= 100; i++) actor.Tell(i, ActorRefs.NoSender);
        Sys.Stop(actor); // a system message, queued behind 100 user messages
        release.Release();
        ExpectTerminated(actor);
        lock (processed) Assert.Equal([0], processed);
        AwaitAssert(() => Assert.Equal(100, Sys.DeadLetterCount - deadBefore));
    }

    [Fact]
    public void PoisonPill_is_an_ordinary_message_processed_after_those_queued_before_it()
    {
        var counter = Sys.ActorOf(Props.Create(() => new Counter(null, "c")));
        Watch(counter);
        for (var i = 0; i < 10; i++) counter.Tell(1, ActorRefs.NoSender);
        counter.Tell("get", TestActor);
        counter.Tell(PoisonPill.Instance, ActorRefs.NoSender);
        counter.Tell("get", TestActor);
        ExpectMsg(10);
        ExpectTerminated(counter);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
