using IommuSim.Runtime;

namespace IommuSim.TestKit;

/// <summary>A second test actor with its own expectations, for tests with several parties.</summary>
public sealed class TestProbe : TestKitBase, ICanTell
{
    internal TestProbe(ActorSystem system, TestKitSettings settings, string name) : base(system, settings, name) { }

    /// <summary>The probe's actor reference, to pass where an IActorRef is expected.</summary>
    public IActorRef Ref => TestActor;

    /// <summary>Sends to the probe's actor (so that the probe receives it).</summary>
    public void Tell(object message, IActorRef? sender) => TestActor.Tell(message, sender);

    /// <summary>Replies to the sender of the last message received, from the probe.</summary>
    public void Reply(object message)
    {
        if (LastMessage == null) throw new InvalidOperationException("Reply needs a received message");
        LastSender.Tell(message, TestActor);
    }

    /// <summary>Sends the last message received on to <paramref name="target"/>, keeping its original sender.</summary>
    public void Forward(IActorRef target)
    {
        if (LastMessage == null) throw new InvalidOperationException("Forward needs a received message");
        target.Tell(LastMessage, LastSender);
    }
}
