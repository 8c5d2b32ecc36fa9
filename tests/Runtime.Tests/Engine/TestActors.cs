using IommuSim.Runtime;

namespace IommuSim.Runtime.Tests.Engine;

/// <summary>Replies with what it receives.</summary>
internal sealed class Echo : ReceiveActor
{
    public Echo() => ReceiveAny(m => Sender.Tell(m, Self));
}

/// <summary>Counts messages; "get" answers the count; "fail" throws; records its life cycle into a shared log.</summary>
internal sealed class Counter : ReceiveActor
{
    private int _count;

    public Counter(List<string>? lifecycle = null, string name = "counter")
    {
        Lifecycle = lifecycle;
        Name = name;
        Receive<string>(s => s == "get", _ => Sender.Tell(_count, Self));
        Receive<string>(s => s == "fail", _ => throw new InvalidOperationException("fail"));
        Receive<string>(s => s == "fatal", _ => throw new ArgumentException("fatal"));
        Receive<int>(i => _count += i);
    }

    private List<string>? Lifecycle { get; }
    private string Name { get; }

    private void Record(string what)
    {
        if (Lifecycle == null) return;
        lock (Lifecycle) Lifecycle.Add($"{Name}:{what}");
    }

    protected override void PreStart() => Record("PreStart");
    protected override void PostStop() => Record("PostStop");
    protected override void PreRestart(Exception reason, object? message)
    {
        Record($"PreRestart({reason.Message},{message})");
        base.PreRestart(reason, message);
    }
    protected override void PostRestart(Exception reason)
    {
        Record($"PostRestart({reason.Message})");
        base.PostRestart(reason);
    }
}

/// <summary>A parent that creates named children from Props and forwards (name, message) pairs.</summary>
internal sealed class Parent : ReceiveActor
{
    public sealed record Make(string Name, Props Props);
    public sealed record To(string Name, object Message);

    private readonly SupervisorStrategy? _strategy;

    public Parent(SupervisorStrategy? strategy = null)
    {
        _strategy = strategy;
        Receive<Make>(m => Sender.Tell(Context.ActorOf(m.Props, m.Name), Self));
        Receive<To>(t => Context.Child(t.Name)!.Forward(t.Message));
    }

    protected override SupervisorStrategy SupervisorStrategy() => _strategy ?? base.SupervisorStrategy();
}
