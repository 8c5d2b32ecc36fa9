using IommuSim.Actors.Mm;
using IommuSim.Actors.Sva;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// The mm's invalidations (DESIGN.md protocol 1) through SVA domains: they reach every domain of
/// the mm, each invalidates its PASID on its units (one whole-PASID command from 512 pages on) and
/// fences only after the sync; and the walk invariant: a walk is never served while an
/// invalidation runs.
/// </summary>
public abstract class SvaInvalidationTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private const ulong Page = SvaMachine.Page;
    private const ulong Base = SvaMachine.Base;

    [Fact]
    public void Munmap_reaches_the_domain_of_every_unit_and_no_device_translates_the_range_after_it()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Units = 2 });
        m.Mmap(16);
        for (var i = 0; i < 16; i++) m.CpuWrite(Base + (ulong)i * Page, (ulong)i);
        var a = m.Bind("dev0.0");
        var b = m.Bind("dev1.0");
        Assert.NotEqual(a.Domain, b.Domain);
        Assert.Equal(16, m.Read("dev0.0", a.Pasid, Base, 16).Pages);
        Assert.Equal(16, m.Read("dev1.0", b.Pasid, Base, 16).Pages);
        var commands = new[] { m.UnitStats(0).InvalidationCommands, m.UnitStats(1).InvalidationCommands };

        Assert.Equal(Errno.None, m.Munmap(Base + 4 * Page, 4));
        foreach (var domain in new[] { a.Domain!, b.Domain! })
        {
            var s = m.DomainStats(domain);
            Assert.Equal((1L, 1L, 0L, 1L), (s.Invalidations, s.Commands, s.PasidWide, s.Syncs));
        }
        Assert.Equal(commands[0] + 1, m.UnitStats(0).InvalidationCommands);
        Assert.Equal(commands[1] + 1, m.UnitStats(1).InvalidationCommands);
        // Both IOTLBs lost the range: the devices fault there (INVALID: no VMA) and read the rest.
        foreach (var (device, bond) in new[] { ("dev0.0", a), ("dev1.0", b) })
        {
            var read = m.Read(device, bond.Pasid, Base, 16);
            Assert.Equal((Errno.EFAULT, 4, 1), (read.Errno, read.Pages, read.PageRequests));
            Assert.Equal(12UL, m.Read(device, bond.Pasid, Base + 8 * Page, 8).Values[4]);
        }
        m.AssertClean();
    }

    [Theory]
    [InlineData(511, false)]
    [InlineData(512, true)]
    [InlineData(513, true)]
    public void A_range_of_512_pages_or_more_is_one_whole_pasid_invalidation(int pages, bool pasidWide)
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(1024);
        var bond = m.Bind("dev0.0");
        var flushes = CreateTestProbe("flushes");
        Sys.EventStream.Subscribe(flushes.Ref, typeof(IotlbFlushed));
        Assert.Equal(Errno.None, m.Munmap(Base, (ulong)pages));
        var flushed = flushes.ExpectMsg<IotlbFlushed>();
        var command = Assert.Single(flushed.Commands);
        Assert.Equal(bond.Pasid, command.Pasid);
        if (pasidWide)
        {
            Assert.Equal(IotlbInvalidationKind.Pasid, command.Kind);
        }
        else
        {
            Assert.Equal(IotlbInvalidationKind.Range, command.Kind);
            Assert.Equal((new Iova(Base), (ulong)pages * Page), (command.Start, command.Length));
        }
        var stats = m.DomainStats(bond.Domain!);
        Assert.Equal((1L, pasidWide ? 1L : 0L), (stats.Commands, stats.PasidWide));
    }

    [Fact]
    public void The_domain_fences_an_invalidation_only_after_its_units_sync_completed()
    {
        var memory = new PhysicalMemory(16UL << 20);
        var mm = Sys.ActorOf(MmActor.Props(memory), "mm");
        Assert.Equal(Errno.None, Call<MmapReply>(mm, new Mmap(4 * Page, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(Base))).Errno);
        var unit = CreateTestProbe("unit");
        var domain = Sys.ActorOf(IommuSvaDomainActor.Props(mm, new Pasid(3), unit.Ref), "sva-domain");
        Send(domain, new SvaDomainAttach("dev", unit.Ref));
        var set = unit.ExpectMsg<UnitSetDevPasid>();
        Assert.Equal(("dev", new Pasid(3)), (set.DeviceName, set.Pasid));
        unit.Reply(new UnitDevPasidSet(Errno.None, 1));
        Assert.Equal(Errno.None, ExpectMsg<SvaDomainAttached>().Errno);

        Send(mm, new Munmap(new VirtAddr(Base), 4 * Page));
        var invalidate = unit.ExpectMsg<IotlbInvalidate>();
        Assert.True(invalidate.Sync);
        Assert.Equal(IotlbInvalidation.Range(new Iova(Base), 4 * Page, Page) with { Pasid = new Pasid(3) }, Assert.Single(invalidate.Commands));
        // The unit has not completed its sync: the munmap waits for the domain's fence.
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        unit.Reply(new IotlbInvalidated(Errno.None, invalidate.Cookie, true));
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
    }

    [Fact]
    public void A_walk_that_arrives_while_an_invalidation_runs_is_served_after_it_and_never_returns_the_old_page() =>
        WalkDuringInvalidation(MmOptions.Default, expectOldPage: false);

    [Fact]
    public void Serving_walks_during_an_invalidation_would_hand_out_the_page_being_freed() =>
        WalkDuringInvalidation(new MmOptions { ServeSvaWalksDuringInvalidation = true }, expectOldPage: true);

    /// <summary>
    /// A test probe plays the SVA domain: it registers with the mm, lets a munmap start, asks for a
    /// walk of the page being unmapped while holding its fence back, then fences.
    /// </summary>
    private void WalkDuringInvalidation(MmOptions options, bool expectOldPage)
    {
        var memory = new PhysicalMemory(16UL << 20);
        var mm = Sys.ActorOf(MmActor.Props(memory, options: options), "mm");
        Assert.Equal(Errno.None, Call<MmapReply>(mm, new Mmap(Page, Prot.Read | Prot.Write, MapKind.Private, new VirtAddr(Base))).Errno);
        Assert.Equal(Errno.None, Call<Done>(mm, new CpuWrite(new VirtAddr(Base), 42)).Errno);
        var domain = CreateTestProbe("domain");
        domain.Send(mm, new SvaMmGrab());
        Assert.Equal(Errno.None, domain.ExpectMsg<Done>().Errno);
        domain.Send(mm, new SvaWalk(1, new VirtAddr(Base), 1, Write: false));
        var before = domain.ExpectMsg<SvaWalked>();
        Assert.Equal(Errno.None, before.Errno);
        var page = before.Pages[0].Phys.Pfn;

        Send(mm, new Munmap(new VirtAddr(Base), Page));
        var invalidate = domain.ExpectMsg<MmuInvalidate>();
        domain.Send(mm, new SvaWalk(2, new VirtAddr(Base), 1, Write: false));
        if (expectOldPage)
        {
            var during = domain.ExpectMsg<SvaWalked>();
            Assert.Equal((Errno.None, page), (during.Errno, during.Pages[0].Phys.Pfn));
            Assert.True(memory.IsPageLive(page));
        }
        else
        {
            domain.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }
        domain.Send(mm, new InvalidationFence(invalidate.Sequence));
        Assert.Equal(Errno.None, ExpectMsg<Done>().Errno);
        Assert.False(memory.IsPageLive(page));
        if (!expectOldPage)
        {
            var after = domain.ExpectMsg<SvaWalked>();
            Assert.Equal(Errno.EFAULT, after.Errno);
            Assert.True(after.Sequence > invalidate.Sequence);
        }
    }
}

public sealed class SvaInvalidationThreadPoolTests(ITestOutputHelper output) : SvaInvalidationTests(output, deterministic: false);

public sealed class SvaInvalidationDeterministicTests(ITestOutputHelper output) : SvaInvalidationTests(output, deterministic: true);
