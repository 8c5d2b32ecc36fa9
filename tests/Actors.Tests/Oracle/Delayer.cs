using IommuSim.Runtime;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>
/// The unmapping thread of hmm-tests.c's anon_teardown, which sleeps a random time before
/// munmap: it passes a message on after a number of rounds through its own mailbox, so that the
/// message lands anywhere in the device's fault sequence rather than almost always first.
/// </summary>
public sealed class Delayer : ReceiveActor
{
    public sealed record Later(int Rounds, IActorRef Target, object Message, IActorRef ReplyTo);

    public Delayer() => Receive<Later>(l =>
    {
        if (l.Rounds > 0) Self.Tell(l with { Rounds = l.Rounds - 1 }, Self);
        else l.Target.Tell(l.Message, l.ReplyTo);
    });
}
