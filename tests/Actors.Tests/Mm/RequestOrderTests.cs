using IommuSim.Actors.Mm;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;

namespace IommuSim.Actors.Tests.Mm;

/// <summary>
/// Requests a process sends without waiting (pipelined) are served in the order it sent them,
/// even when some of them arrive while an invalidation runs and wait for it.
/// </summary>
public sealed class RequestOrderTests
{
    /// <summary>A mirror that fences every invalidation at once.</summary>
    private sealed class FencingMirror : ReceiveActor
    {
        public FencingMirror() => Receive<MmuInvalidate>(inv => Sender.Tell(new InvalidationFence(inv.Sequence), Self));
    }

    [Fact]
    public void Pipelined_cpu_writes_during_an_invalidation_land_in_send_order_on_every_schedule()
    {
        const ulong page = 4096;
        for (ulong seed = 1; seed <= 200; seed++)
        {
            using var kit = new DeterministicTestKit(null, seed);
            var memory = new PhysicalMemory(1UL << 20);
            var mm = kit.Sys.ActorOf(MmActor.Props(memory));
            var mirror = kit.Sys.ActorOf(Props.Create(() => new FencingMirror()));
            kit.Send(mm, new RegisterMirror(mirror, "dev", null));
            kit.ExpectMsg<MirrorRegistered>();
            kit.Send(mm, new Mmap(2 * page, Prot.Read | Prot.Write));
            var a = kit.ExpectMsg<MmapReply>().Address;
            kit.Send(mm, new CpuWrite(a + page, 1));
            kit.ExpectMsg<Done>();

            // munmap starts an invalidation; the writes and the read behind it wait for the fence.
            kit.Send(mm, new Munmap(a + page, page));
            kit.Send(mm, new CpuWrite(a, 1));
            kit.Send(mm, new CpuWrite(a, 2));
            kit.Send(mm, new CpuRead(a));
            var replies = kit.ReceiveN(4);

            Assert.Equal([typeof(Done), typeof(Done), typeof(Done), typeof(CpuReadReply)], replies.Select(r => r.GetType()));
            Assert.Equal(2UL, ((CpuReadReply)replies[3]).Value);
            kit.Send(mm, new CpuRead(a));
            Assert.Equal(2UL, kit.ExpectMsg<CpuReadReply>().Value);
        }
    }
}
