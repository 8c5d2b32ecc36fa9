using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class DeathWatchTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef report)
        {
            Receive<IActorRef>(target => Context.Watch(target));
            Receive<(string Op, IActorRef Target)>(m => m.Op == "unwatch", m => Context.Unwatch(m.Target));
            Receive<Terminated>(t => report.Tell($"terminated {t.ActorRef.Path.Name}", Self));
        }
    }

    private sealed class Pact : ReceiveActor
    {
        public Pact() => Receive<IActorRef>(target => Context.Watch(target)); // Terminated unhandled
    }

    [Fact]
    public void A_watcher_gets_Terminated_when_the_subject_stops()
    {
        var subject = Sys.ActorOf(Props.Create(() => new Echo()), "subject");
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(TestActor)));
        watcher.Tell(subject, ActorRefs.NoSender);
        subject.Tell("ping", watcher);       // orders the watch before the stop (both from this thread)
        Sys.Stop(subject);
        ExpectMsg("terminated subject");
    }

    [Fact]
    public void Watching_an_actor_that_already_stopped_still_yields_Terminated()
    {
        var subject = Sys.ActorOf(Props.Create(() => new Echo()), "gone");
        Watch(subject);
        Sys.Stop(subject);
        ExpectTerminated(subject);
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(TestActor)));
        watcher.Tell(subject, ActorRefs.NoSender);
        ExpectMsg("terminated gone");
    }

    [Fact]
    public void Unwatch_before_the_stop_means_no_Terminated()
    {
        var subject = Sys.ActorOf(Props.Create(() => new Echo()), "s2");
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(TestActor)));
        watcher.Tell(subject, ActorRefs.NoSender);
        watcher.Tell(("unwatch", subject), ActorRefs.NoSender);
        Watch(subject);
        Sys.Stop(subject);
        ExpectTerminated(subject);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_unhandled_Terminated_is_a_death_pact_that_stops_the_watcher()
    {
        var subject = Sys.ActorOf(Props.Create(() => new Echo()));
        var pact = Sys.ActorOf(Props.Create(() => new Pact()));
        Watch(pact);
        pact.Tell(subject, ActorRefs.NoSender);
        pact.Tell("sync", ActorRefs.NoSender);
        Sys.Stop(subject);
        ExpectTerminated(pact);
    }

    [Fact]
    public void Stopping_a_parent_stops_its_children_first()
    {
        var log = new List<string>();
        var parent = Sys.ActorOf(Props.Create(() => new Parent(null)));
        parent.Tell(new Parent.Make("a", Props.Create(() => new Counter(log, "a"))), TestActor);
        var a = ExpectMsg<IActorRef>();
        Watch(a);
        Watch(parent);
        Sys.Stop(parent);
        ExpectTerminated(a);
        ExpectTerminated(parent);
        lock (log) Assert.Equal(["a:PreStart", "a:PostStop"], log);
    }
}
