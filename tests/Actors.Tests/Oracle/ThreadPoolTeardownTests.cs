using IommuSim.Actors.Tests.Mm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>
/// hmm-tests.c's anon_teardown on the thread-pool dispatcher: real threads race a device read
/// (through an HMM domain) against munmap of half the buffer, several times; whatever the
/// interleaving, the read either returns the right values or fails, and no device touches a
/// page it should not.
/// </summary>
public sealed class ThreadPoolTeardownTests(ITestOutputHelper output) : HmmKit(output, deterministic: false)
{
    [Fact]
    public void Anon_teardown_races_a_device_read_against_munmap_safely()
    {
        const ulong pages = 1024;
        var iommu = Sys.ActorOf(Props.Create(() => new Mirror.NullActor()));
        var mirror = NewMirror(Dev0, iommuDomain: iommu);
        var unmapper = Sys.ActorOf(Props.Create(() => new Delayer()));
        var completed = 0;
        for (ulong c = 0; c < 20; c++)
        {
            var addr = Mmap(pages);
            CpuFill(addr, pages, i => i + c);
            var half = addr + pages / 2 * Page;

            Send(mirror, new MirrorRead(new VirtAddr(addr), pages));
            // Half the rounds unmap at once, the others after a growing delay.
            var unmap = new Munmap(new VirtAddr(half), pages / 2 * Page);
            if (c % 2 == 0) Send(Mm, unmap);
            else unmapper.Tell(new Delayer.Later((int)c, Mm, unmap, TestActor), ActorRefs.NoSender);
            var replies = ReceiveN(2, TimeSpan.FromSeconds(10));

            var read = replies.OfType<MirrorCmdReply>().Single();
            Assert.Equal(Errno.None, replies.OfType<Done>().Single().Errno);
            if (read.Errno == Errno.None)
            {
                completed++;
                Assert.Equal(Values(pages, i => i + c), read.Values);
            }
            else
            {
                Assert.Equal(Errno.EFAULT, read.Errno);
            }
            Assert.Equal(Errno.None, Munmap(addr, pages));
        }
        Output?.WriteLine($"{completed} of 20 reads completed before the munmap; {MirrorStats(mirror).Retries} collision retries");
        AssertDmaSafe();
        Assert.Equal(0, Stats().ResidentPages);
    }
}
