using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class SupervisionTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private IActorRef MakeChild(IActorRef parent, string name, Props props)
    {
        parent.Tell(new Parent.Make(name, props), TestActor);
        return ExpectMsg<IActorRef>();
    }

    private IActorRef ParentWith(SupervisorStrategy strategy) =>
        Sys.ActorOf(Props.Create(() => new Parent(strategy)));

    [Fact]
    public void Resume_keeps_the_actor_and_its_state()
    {
        var parent = ParentWith(new OneForOneStrategy(_ => Directive.Resume));
        var child = MakeChild(parent, "c", Props.Create(() => new Counter(null, "c")));
        child.Tell(5, ActorRefs.NoSender);
        child.Tell("fail", ActorRefs.NoSender);
        child.Tell(2, ActorRefs.NoSender);
        child.Tell("get", TestActor);
        ExpectMsg(7);
    }

    [Fact]
    public void Restart_runs_the_hooks_in_order_replaces_the_state_and_keeps_the_mailbox()
    {
        var log = new List<string>();
        var parent = ParentWith(new OneForOneStrategy(_ => Directive.Restart));
        var child = MakeChild(parent, "c", Props.Create(() => new Counter(log, "c")));
        child.Tell(5, ActorRefs.NoSender);
        child.Tell("fail", ActorRefs.NoSender);
        child.Tell(2, ActorRefs.NoSender);   // queued behind the failure: handled by the new instance
        child.Tell("get", TestActor);
        ExpectMsg(2);
        lock (log)
            Assert.Equal(["c:PreStart", "c:PreRestart(fail,fail)", "c:PostStop", "c:PostRestart(fail)", "c:PreStart"], log);
    }

    [Fact]
    public void Stop_directive_terminates_the_child()
    {
        var parent = ParentWith(new OneForOneStrategy(_ => Directive.Stop));
        var child = MakeChild(parent, "c", Props.Create(() => new Counter(null, "c")));
        Watch(child);
        child.Tell("fail", ActorRefs.NoSender);
        ExpectTerminated(child);
    }

    [Fact]
    public void Restarts_beyond_the_retry_limit_stop_the_child()
    {
        var parent = ParentWith(new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart));
        var child = MakeChild(parent, "c", Props.Create(() => new Counter(null, "c")));
        Watch(child);
        child.Tell("fail", ActorRefs.NoSender);
        child.Tell("fail", ActorRefs.NoSender);
        child.Tell(3, ActorRefs.NoSender);
        child.Tell("get", TestActor);
        ExpectMsg(3);                          // two restarts allowed
        child.Tell("fail", ActorRefs.NoSender); // the third is over the limit
        ExpectTerminated(child);
    }

    [Fact]
    public void Escalate_fails_the_parent_whose_supervisor_restarts_it_and_its_children()
    {
        var log = new List<string>();
        // Top: restarts the middle actor; middle escalates everything.
        var top = ParentWith(new OneForOneStrategy(_ => Directive.Restart));
        var middle = MakeChild(top, "middle", Props.Create(() => new Parent(new OneForOneStrategy(_ => Directive.Escalate))));
        var child = MakeChild(middle, "leaf", Props.Create(() => new Counter(log, "leaf")));
        Watch(child);
        child.Tell("fail", ActorRefs.NoSender);
        // The middle actor's default PreRestart stops its children: the leaf goes away.
        ExpectTerminated(child);
        lock (log) Assert.Equal(["leaf:PreStart", "leaf:PostStop"], log);
        middle.Tell(new Parent.Make("leaf", Props.Create(() => new Counter(null, "leaf2"))), TestActor);
        ExpectMsg<IActorRef>(); // the restarted middle actor works and the name is free again
    }

    [Fact]
    public void AllForOne_restarts_the_siblings_of_the_failed_child()
    {
        var log = new List<string>();
        var parent = ParentWith(new AllForOneStrategy(_ => Directive.Restart));
        var a = MakeChild(parent, "a", Props.Create(() => new Counter(log, "a")));
        var b = MakeChild(parent, "b", Props.Create(() => new Counter(log, "b")));
        b.Tell(10, TestActor);
        b.Tell("get", TestActor);
        ExpectMsg(10); // b has its state before a fails (a restart's system messages would overtake it)
        a.Tell("fail", ActorRefs.NoSender);
        AwaitAssert(() => { lock (log) Assert.Contains("b:PostRestart(fail)", log); });
        b.Tell("get", TestActor);
        ExpectMsg(0); // b's state was reset by the restart
        lock (log) Assert.Contains("a:PostRestart(fail)", log);
    }

    [Fact]
    public void Kill_stops_an_actor_under_the_default_strategy_and_initialization_failure_stops_too()
    {
        var victim = Sys.ActorOf(Props.Create(() => new Counter(null, "k")));
        Watch(victim);
        victim.Tell(Kill.Instance, ActorRefs.NoSender);
        ExpectTerminated(victim);

        var broken = Sys.ActorOf(Props.Create<Counter>(() => throw new InvalidOperationException("ctor")));
        Watch(broken);
        ExpectTerminated(broken);
    }

    [Fact]
    public void The_default_strategy_restarts_top_level_actors()
    {
        var counter = Sys.ActorOf(Props.Create(() => new Counter(null, "t")));
        counter.Tell(4, ActorRefs.NoSender);
        counter.Tell("fail", ActorRefs.NoSender);
        counter.Tell("get", TestActor);
        ExpectMsg(0);
    }
}
