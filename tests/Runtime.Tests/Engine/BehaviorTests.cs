using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class BehaviorTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private sealed class Door : ReceiveActor, IWithUnboundedStash
    {
        public Door()
        {
            Closed();
        }

        private void Closed()
        {
            Receive<string>(s => s == "open", _ =>
            {
                Become(Open);
                Stash.UnstashAll();
            });
            ReceiveAny(_ => Stash.Stash());
        }

        private void Open()
        {
            Receive<string>(s => s == "close", _ => Become(Closed));
            ReceiveAny(m => Sender.Tell(m, Self));
        }
    }

    [Fact]
    public void Stashed_messages_come_back_in_their_order_before_later_ones()
    {
        var door = Sys.ActorOf(Props.Create(() => new Door()));
        door.Tell(1, TestActor);
        door.Tell(2, TestActor);
        door.Tell(3, TestActor);
        door.Tell("open", TestActor);
        door.Tell(4, TestActor);
        Assert.Equal([1, 2, 3, 4], ReceiveN(4).Cast<int>());
        door.Tell("close", TestActor);
        door.Tell(5, TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private sealed class Mood : ReceiveActor
    {
        public Mood()
        {
            Receive<string>(s => s == "angry", _ => BecomeStacked(() => ReceiveAny(m => Sender.Tell($"grr {m}", Self))));
            Receive<string>(s => s == "happy", _ => Become(() =>
            {
                Receive<string>(x => x == "back", _ => UnbecomeStacked());
                ReceiveAny(m => Sender.Tell($"yay {m}", Self));
            }));
            ReceiveAny(m => Sender.Tell($"meh {m}", Self));
        }
    }

    [Fact]
    public void Become_replaces_and_BecomeStacked_pushes_the_behaviour()
    {
        var mood = Sys.ActorOf(Props.Create(() => new Mood()));
        mood.Tell(1, TestActor);
        ExpectMsg("meh 1");
        mood.Tell("happy", TestActor);
        mood.Tell(2, TestActor);
        ExpectMsg("yay 2");
        mood.Tell("back", TestActor);   // Unbecome from a replaced behaviour returns to the initial one
        mood.Tell(3, TestActor);
        ExpectMsg("meh 3");
        mood.Tell("angry", TestActor);
        mood.Tell(4, TestActor);
        ExpectMsg("grr 4");
    }

    private sealed class Slow : ReceiveActor
    {
        public Slow(List<string> log)
        {
            ReceiveAsync<int>(async i =>
            {
                lock (log) log.Add($"start {i}");
                await Task.Delay(20);
                lock (log) log.Add($"end {i}");
                Sender.Tell(i, Self); // Sender is still this message's sender after the await
            });
        }
    }

    [Fact]
    public void An_async_receive_holds_the_next_message_until_its_task_completes()
    {
        var log = new List<string>();
        var slow = Sys.ActorOf(Props.Create(() => new Slow(log)));
        slow.Tell(1, TestActor);
        slow.Tell(2, TestActor);
        slow.Tell(3, TestActor);
        Assert.Equal([1, 2, 3], ReceiveN(3).Cast<int>());
        lock (log) Assert.Equal(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"], log);
    }

    private sealed class Idle : ReceiveActor
    {
        public Idle(IActorRef report)
        {
            Context.SetReceiveTimeout(TimeSpan.FromMilliseconds(100));
            Receive<ReceiveTimeout>(_ =>
            {
                report.Tell("timeout", Self);
                Context.SetReceiveTimeout(null);
            });
        }
    }

    [Fact]
    public void Receive_timeout_fires_once_when_idle_and_can_be_turned_off()
    {
        Sys.ActorOf(Props.Create(() => new Idle(TestActor)));
        ExpectMsg("timeout");
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Unhandled_messages_are_counted_and_published()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(UnhandledMessage));
        var door = Sys.ActorOf(Props.Create(() => new Mood()));
        var before = Sys.UnhandledCount;
        var strict = Sys.ActorOf(Props.Create(() => new Parent(null)));
        strict.Tell(3.14, TestActor);
        var u = ExpectMsg<UnhandledMessage>();
        Assert.Equal(3.14, u.Message);
        Assert.Equal(strict, u.Recipient);
        Assert.Equal(before + 1, Sys.UnhandledCount);
        _ = door;
    }

    [Fact]
    public void Messages_to_a_stopped_actor_are_counted_and_published_as_dead_letters()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(DeadLetter));
        var echo = Sys.ActorOf(Props.Create(() => new Echo()));
        Watch(echo);
        Sys.Stop(echo);
        ExpectTerminated(echo);
        var before = Sys.DeadLetterCount;
        echo.Tell("lost", TestActor);
        var dl = ExpectMsg<DeadLetter>();
        Assert.Equal("lost", dl.Message);
        Assert.Equal(TestActor, dl.Sender);
        Assert.Equal(before + 1, Sys.DeadLetterCount);
    }

    [Fact]
    public void Identify_is_answered_by_every_actor()
    {
        var echo = Sys.ActorOf(Props.Create(() => new Echo()), "who");
        echo.Tell(new Identify("id-1"), TestActor);
        var id = ExpectMsg<ActorIdentity>();
        Assert.Equal("id-1", id.MessageId);
        Assert.Equal(echo, id.Subject);
        Assert.Equal("akka://test/user/who", echo.Path.ToString());
    }

    [Fact]
    public void Actor_names_must_be_valid_and_unique()
    {
        Sys.ActorOf(Props.Create(() => new Echo()), "unique");
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create(() => new Echo()), "unique"));
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create(() => new Echo()), "$reserved"));
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create(() => new Echo()), "has space"));
        Assert.Throws<ActorException>(() => new Echo());
    }
}
