using IommuSim.Actors.Mm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mm;

/// <summary>
/// The invalidation protocol seen from its receivers: test probes stand for mirrors, so each test
/// decides when a fence is sent and checks what the mm has (not) done before it.
/// </summary>
public abstract class InvalidationProtocolTests(ITestOutputHelper output, bool deterministic, MmOptions? mmOptions = null)
    : HmmKit(output, deterministic, mmOptions: mmOptions)
{
    protected TestProbe FakeMirror(string device, IActorRef? iommuDomain = null)
    {
        var probe = CreateTestProbe();
        var r = Call<MirrorRegistered>(Mm, new RegisterMirror(probe.Ref, device, iommuDomain));
        Assert.Equal(Errno.None, r.Errno);
        return probe;
    }

    /// <summary>The frames behind a range, as a device fault sees them.</summary>
    protected Pfn[] FaultPfns(TestProbe mirror, ulong addr, ulong pages)
    {
        Mm.Tell(new RangeFault(AddressRange.FromLength(addr, pages * Page), Write: true), mirror.Ref);
        var reply = mirror.ExpectMsg<RangeFaultReply>();
        Assert.Equal(Errno.None, reply.Errno);
        return [.. reply.Pages.Select(p => p.Pfn)];
    }

    protected static void Fence(TestProbe mirror, MmuInvalidate inv) => mirror.Reply(new InvalidationFence(inv.Sequence));
}

public abstract class InvalidationOrderTests(ITestOutputHelper output, bool deterministic) : InvalidationProtocolTests(output, deterministic)
{
    [Fact]
    public void Munmap_answers_only_after_every_fence_and_frees_the_pages_only_then()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i + 1);
        var a = FakeMirror("a");
        var b = FakeMirror("b");
        var pfns = FaultPfns(a, addr, 4);
        var seq = Stats().Sequence;
        Assert.Equal(0, seq % 2);

        Send(Mm, new Munmap(new VirtAddr(addr), 4 * Page));

        var invA = a.ExpectMsg<MmuInvalidate>();
        var invB = b.ExpectMsg<MmuInvalidate>();
        Assert.Equal((AddressRange.FromLength(addr, 4 * Page), InvalidationEvent.Munmap, seq + 1), (invA.Range, invA.Event, invA.Sequence));
        Assert.Equal(invA, invB);
        Assert.Equal(seq + 1, Stats().Sequence); // odd while the invalidation runs
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.All(pfns, p => Assert.True(Memory.IsPageLive(p)));

        Fence(a, invA);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.All(pfns, p => Assert.True(Memory.IsPageLive(p)));

        Fence(b, invB);
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.All(pfns, p => Assert.False(Memory.IsPageLive(p)));
        Assert.Equal(seq + 2, Stats().Sequence);
    }

    [Fact]
    public void Requests_that_arrive_during_an_invalidation_wait_for_it_and_see_its_result()
    {
        var addr = Mmap(4);
        CpuFill(addr, 4, i => i);
        var a = FakeMirror("a");
        var seq = Stats().Sequence;
        Send(Mm, new Munmap(new VirtAddr(addr), 4 * Page));
        var inv = a.ExpectMsg<MmuInvalidate>();

        Send(Mm, new CpuRead(new VirtAddr(addr)));
        Mm.Tell(new RangeFault(AddressRange.FromLength(addr, Page), Write: false), a.Ref);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        Fence(a, inv);
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.Equal(Errno.EFAULT, ExpectMsg<CpuReadReply>().Errno);
        var fault = a.ExpectMsg<RangeFaultReply>();
        Assert.Equal((Errno.EFAULT, seq + 2), (fault.Errno, fault.Sequence));
    }

    [Fact]
    public void A_mirror_that_stops_during_an_invalidation_owes_no_fence()
    {
        var addr = Mmap(2);
        CpuFill(addr, 2, i => i);
        var a = FakeMirror("a");
        var b = FakeMirror("b");
        Send(Mm, new Munmap(new VirtAddr(addr), 2 * Page));
        var inv = a.ExpectMsg<MmuInvalidate>();
        b.ExpectMsg<MmuInvalidate>();

        Fence(a, inv);
        Sys.Stop(b.Ref);

        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.Equal(1, Stats().Mirrors);
    }

    [Fact]
    public void An_unregistered_mirror_is_no_longer_invalidated()
    {
        var addr = Mmap(2);
        var a = FakeMirror("a");
        Assert.Equal(Errno.None, Call<Done>(Mm, new UnregisterMirror(a.Ref)).Errno);
        Assert.Equal(Errno.EINVAL, Call<Done>(Mm, new UnregisterMirror(a.Ref)).Errno);

        Assert.Equal(Errno.None, Munmap(addr, 2));
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Registering_the_same_device_or_the_same_mirror_twice_is_einval()
    {
        var a = FakeMirror("a");
        Assert.Equal(Errno.EINVAL, Call<MirrorRegistered>(Mm, new RegisterMirror(CreateTestProbe().Ref, "a", null)).Errno);
        Assert.Equal(Errno.EINVAL, Call<MirrorRegistered>(Mm, new RegisterMirror(a.Ref, "b", null)).Errno);
        Assert.Equal(1, Stats().Mirrors);
    }

    [Fact]
    public void The_trace_shows_fences_then_frees_then_the_end_of_the_invalidation()
    {
        var events = new List<ITraceEvent>();
        using var sub = Sys.EventStream.Subscribe(typeof(ITraceEvent), e =>
        {
            lock (events) events.Add((ITraceEvent)e);
        });
        var addr = Mmap(3);
        CpuFill(addr, 3, i => i);
        var a = FakeMirror("a");
        var b = FakeMirror("b");
        Send(Mm, new Munmap(new VirtAddr(addr), 3 * Page));
        Fence(b, b.ExpectMsg<MmuInvalidate>());
        Fence(a, a.ExpectMsg<MmuInvalidate>());
        ExpectMsg<Done>();

        List<ITraceEvent> trace;
        lock (events) trace = [.. events];
        var kinds = trace.Select(e => e.GetType().Name).ToList();
        Assert.Equal(["InvalidationStarted", "FenceReceived", "FenceReceived", "PageFreed", "PageFreed", "PageFreed", "InvalidationEnded"], kinds);
        var start = (InvalidationStarted)trace[0];
        Assert.Equal(2, start.Receivers);
        Assert.Equal(start.Sequence, ((InvalidationEnded)trace[^1]).Sequence);
    }

    [Fact]
    public void Mprotect_and_fork_send_write_protect_and_prot_none_unmaps()
    {
        var addr = Mmap(4);
        CpuFill(addr, 2, i => i);
        var a = FakeMirror("a");

        Send(Mm, new Mprotect(new VirtAddr(addr), 4 * Page, Prot.Read));
        var wp = a.ExpectMsg<MmuInvalidate>();
        Assert.Equal((InvalidationEvent.WriteProtect, AddressRange.FromLength(addr, 4 * Page)), (wp.Event, wp.Range));
        Fence(a, wp);
        ExpectMsg<Done>();

        Send(Mm, new Mprotect(new VirtAddr(addr), 4 * Page, Prot.None));
        var none = a.ExpectMsg<MmuInvalidate>();
        Assert.Equal(InvalidationEvent.Munmap, none.Event);
        Fence(a, none);
        ExpectMsg<Done>();

        // Adding permissions needs no invalidation, nor does writing a page nobody else holds
        // (the write fault reuses it); fork then write-protects the two writable pages.
        Assert.Equal(Errno.None, Mprotect(addr, 4, RW));
        CpuFill(addr, 2, i => i + 10);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Send(Mm, new Fork("child"));
        var fork = a.ExpectMsg<MmuInvalidate>();
        Assert.Equal((InvalidationEvent.WriteProtect, AddressRange.FromLength(addr, 2 * Page)), (fork.Event, fork.Range));
        Fence(a, fork);
        Assert.Equal(Errno.None, ExpectMsg<ForkReply>().Errno);
    }

    [Fact]
    public void A_mirror_behind_an_iommu_domain_gets_an_hmm_domain_that_is_invalidated_and_freed_with_its_last_mirror()
    {
        var iommu = CreateTestProbe().Ref;
        var a = FakeMirror("a", iommu);
        var probeB = CreateTestProbe();
        var regB = Call<MirrorRegistered>(Mm, new RegisterMirror(probeB.Ref, "b", iommu));
        Assert.Equal(Errno.None, regB.Errno);
        var domain = regB.HmmDomain!;
        Assert.Equal((2, 1), (Stats().Mirrors, Stats().HmmDomains));
        var addr = Mmap(2);

        Send(Mm, new Munmap(new VirtAddr(addr), 2 * Page));
        Fence(a, a.ExpectMsg<MmuInvalidate>());
        Fence(probeB, probeB.ExpectMsg<MmuInvalidate>());
        ExpectMsg<Done>();
        Assert.Single(DomainLog.OfType<MmuInvalidate>());

        Watch(domain);
        Assert.Equal(Errno.None, Call<Done>(Mm, new UnregisterMirror(a.Ref)).Errno);
        Assert.Equal(1, Stats().HmmDomains);
        Assert.Equal(Errno.None, Call<Done>(Mm, new UnregisterMirror(probeB.Ref)).Errno);
        ExpectTerminated(domain);
        Assert.Equal(0, Stats().HmmDomains);
        Assert.Equal(2, DomainLog.OfType<RemoveDomainMirror>().Count());
    }
}

public sealed class InvalidationOrderTestsOnThreadPool(ITestOutputHelper output) : InvalidationOrderTests(output, deterministic: false);

public sealed class InvalidationOrderTestsDeterministic(ITestOutputHelper output) : InvalidationOrderTests(output, deterministic: true);

/// <summary>With <see cref="MmOptions.FreePagesBeforeFences"/> the mm frees pages a device may still use (the bug the explorer must find).</summary>
public sealed class FreeBeforeFenceInjectionTests(ITestOutputHelper output)
    : InvalidationProtocolTests(output, deterministic: true, new MmOptions { FreePagesBeforeFences = true })
{
    [Fact]
    public void The_injected_bug_frees_pages_while_a_fence_is_still_owed()
    {
        var addr = Mmap(2);
        CpuFill(addr, 2, i => i);
        var a = FakeMirror("a");
        var pfns = FaultPfns(a, addr, 2);

        Send(Mm, new Munmap(new VirtAddr(addr), 2 * Page));
        var inv = a.ExpectMsg<MmuInvalidate>();

        Assert.All(pfns, p => Assert.False(Memory.IsPageLive(p)));
        Fence(a, inv);
        ExpectMsg<Done>();
    }
}
