using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Runtime.Tests.Engine;

/// <summary>
/// A lost wake-up (a message enqueued while its actor goes idle, and never scheduled) shows as a
/// ping-pong that stops. Many short rounds on the thread pool give the race many chances; each
/// round must finish (the timeout only bounds a hang, it is not a speed check).
/// </summary>
public sealed class LivenessTests
{
    private sealed class Ponger : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message, Self);
    }

    private sealed class Pinger(IActorRef ponger, int pings, TaskCompletionSource done) : UntypedActor
    {
        private int _received;

        protected override void OnReceive(object message)
        {
            if (message is string)
            {
                ponger.Tell(0, Self);
                return;
            }
            if (++_received == pings) done.TrySetResult();
            else ponger.Tell(_received, Self);
        }
    }

    [Fact]
    public async Task Ping_pong_never_stalls_on_a_lost_wake_up()
    {
        for (var round = 0; round < 40; round++)
        {
            using var system = ActorSystem.Create("liveness", "akka.stdout-loglevel = OFF");
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ponger = system.ActorOf(Props.Create(() => new Ponger()));
            var pinger = system.ActorOf(Props.Create(() => new Pinger(ponger, 50_000, done)));
            pinger.Tell("start", ActorRefs.NoSender);
            var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(finished == done.Task, $"round {round}: the ping-pong stopped (a message was never scheduled)");
        }
    }
}
