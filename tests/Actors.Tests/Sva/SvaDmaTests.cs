using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// DMA by (PASID, virtual address) through an SVA domain, and I/O page faults (DESIGN.md protocol
/// 3): data both ways, walks of the mm's CPU page table, page requests handled as CPU faults
/// (success, invalid), groups, lost requests, and units or devices without page requests.
/// </summary>
public abstract class SvaDmaTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private const ulong Page = SvaMachine.Page;
    private const ulong Base = SvaMachine.Base;

    private static ulong At(int page) => Base + (ulong)page * Page;

    [Fact]
    public void A_device_reads_and_writes_the_processs_memory_by_pasid_and_virtual_address()
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(8);
        for (var i = 0; i < 8; i++) m.CpuWrite(At(i), 100 + (ulong)i);
        var bond = m.Bind("dev0.0");

        var read = m.Read("dev0.0", bond.Pasid, Base, 8);
        Assert.Equal((Errno.None, 8, 0), (read.Errno, read.Pages, read.PageRequests));
        Assert.Equal(Enumerable.Range(100, 8).Select(v => (ulong)v), read.Values);
        var walks = m.UnitStats().Walks;
        Assert.Equal(8, walks);

        var write = m.Write("dev0.0", bond.Pasid, Base, [.. Enumerable.Range(0, 8).Select(i => 0xD00 + (ulong)i)]);
        Assert.Equal((Errno.None, 8, 0), (write.Errno, write.Pages, write.PageRequests));
        // Present and writable: the write hit the IOTLB entries the read filled (no walk).
        Assert.Equal(walks, m.UnitStats().Walks);
        for (var i = 0; i < 8; i++) Assert.Equal(0xD00 + (ulong)i, m.CpuRead(At(i)));
        m.AssertClean();
        Assert.True(m.Dma.Accesses >= 16);
    }

    [Fact]
    public void Untouched_memory_is_faulted_in_through_page_requests_and_the_device_retries()
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(4);
        var bond = m.Bind("dev0.0");
        var read = m.Read("dev0.0", bond.Pasid, Base, 4);
        // One page request per page (group-pages = 1); each maps the zero page.
        Assert.Equal((Errno.None, 4, 4), (read.Errno, read.Pages, read.PageRequests));
        Assert.All(read.Values, v => Assert.Equal(0UL, v));

        // A write to the zero page is not writable: a write page request breaks it, under an invalidation.
        var invalidations = m.Call<MmStats>(m.Mm, new GetMmStats()).Invalidations;
        var write = m.Write("dev0.0", bond.Pasid, Base, 11, 12, 13, 14);
        Assert.Equal((Errno.None, 4, 4), (write.Errno, write.Pages, write.PageRequests));
        Assert.Equal(invalidations + 4, m.Call<MmStats>(m.Mm, new GetMmStats()).Invalidations);
        Assert.Equal([11UL, 12, 13, 14], Enumerable.Range(0, 4).Select(i => m.CpuRead(At(i))));

        var iopf = m.IopfStats();
        Assert.Equal((8L, 8L, 0L, 0, 0), (iopf.PageRequests, iopf.PageResponses, iopf.PageRequestsDropped, iopf.PendingFaults, iopf.PartialRequests));
        m.AssertClean();
        Assert.Equal(8, m.Iopf.Responses);
    }

    [Fact]
    public void A_page_request_group_asks_for_the_faulting_page_and_the_next_ones()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Iopf = new IopfOptions { GroupPages = 4 } });
        m.Mmap(8);
        var bond = m.Bind("dev0.0");
        var write = m.Write("dev0.0", bond.Pasid, Base, [.. Enumerable.Range(1, 8).Select(v => (ulong)v)]);
        Assert.Equal((Errno.None, 8, 2), (write.Errno, write.Pages, write.PageRequests));
        Assert.Equal(8L, m.IopfStats().PageRequests);
        Assert.Equal(8UL, m.CpuRead(At(7)));
        m.AssertClean();
    }

    [Fact]
    public void Faults_the_mm_cannot_handle_are_answered_invalid_and_fail_the_burst_where_it_stopped()
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(2);
        m.CpuWrite(At(0), 7);
        m.Mmap(1, At(4), Prot.Read);
        var bond = m.Bind("dev0.0");

        // Page 1 faults in, page 2 has no VMA: INVALID.
        var read = m.Read("dev0.0", bond.Pasid, Base, 3);
        Assert.Equal((Errno.EFAULT, 2, 2), (read.Errno, read.Pages, read.PageRequests));
        Assert.Equal([7UL, 0], read.Values);

        // A write to a read-only VMA: the access check of iommu_sva_handle_mm says INVALID.
        var write = m.Write("dev0.0", bond.Pasid, At(4), 1);
        Assert.Equal((Errno.EFAULT, 0, 1), (write.Errno, write.Pages, write.PageRequests));
        Assert.Equal(0UL, m.CpuRead(At(4)));
        m.AssertClean();
    }

    [Fact]
    public void Without_page_requests_on_the_unit_a_faulting_access_aborts()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Capabilities = IommuUnitCapabilities.IntelVtd with { PageRequests = false } });
        AbortsWithoutPageRequests(m);
    }

    [Fact]
    public void Without_page_requests_on_the_device_a_faulting_access_aborts()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Device = (_, o) => o with { PageRequests = false } });
        AbortsWithoutPageRequests(m);
    }

    private static void AbortsWithoutPageRequests(SvaMachine m)
    {
        m.Mmap(2);
        m.CpuRead(At(1));
        var bond = m.Bind("dev0.0");
        var read = m.Read("dev0.0", bond.Pasid, Base, 2);
        Assert.Equal((Errno.EFAULT, 0, 0), (read.Errno, read.Pages, read.PageRequests));
        // Page 1 maps the zero page: readable, not writable.
        var write = m.Write("dev0.0", bond.Pasid, At(1), 5);
        Assert.Equal((Errno.EPERM, 0, 0), (write.Errno, write.Pages, write.PageRequests));
        Assert.Equal(2, m.UnitStats().Faults);
        Assert.Equal(0L, m.IopfStats().PageRequests);
        m.AssertClean();
    }

    [Fact]
    public void Dma_with_a_pasid_that_is_not_bound_faults_and_so_does_dma_after_unbind()
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(1);
        m.CpuWrite(Base, 9);
        Assert.Equal(Errno.EFAULT, m.Read("dev0.0", new Pasid(7), Base, 1).Errno);
        var bond = m.Bind("dev0.0");
        Assert.Equal(9UL, m.Read("dev0.0", bond.Pasid, Base, 1).Values[0]);
        Assert.Equal(Errno.None, m.Unbind(bond.BondId));
        var after = m.Read("dev0.0", bond.Pasid, Base, 1);
        Assert.Equal((Errno.EFAULT, 0, 0), (after.Errno, after.Pages, after.PageRequests));
        Assert.Equal(0, m.UnitStats().IotlbValidEntries);
        m.AssertClean();
    }

    [Fact]
    public void Partial_groups_whose_last_request_was_lost_are_discarded()
    {
        // A one-entry queue and two-page groups: every group's last request is lost (and answered
        // SUCCESS by the hardware), its first waits as a partial group until the overflow discards it.
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Iopf = new IopfOptions { QueueDepth = 1, GroupPages = 2 } });
        var discarded = CreateTestProbe("discarded");
        Sys.EventStream.Subscribe(discarded.Ref, typeof(PartialFaultsDiscarded));
        m.Mmap(2);
        var bond = m.Bind("dev0.0");
        var read = m.Read("dev0.0", bond.Pasid, Base, 2);
        // The device retried after each hardware SUCCESS until it gave up on the page.
        Assert.Equal((Errno.EFAULT, 0), (read.Errno, read.Pages));
        Assert.Equal(new DeviceOptions("any").MaxPageRequestRetries + 1, read.PageRequests);
        var iopf = m.IopfStats();
        Assert.Equal((0, 0, 0), (iopf.PartialRequests, iopf.PendingFaults, iopf.QueuedRequests));
        Assert.Equal(read.PageRequests, iopf.PageRequestsDropped);
        Assert.True(discarded.ExpectMsg<PartialFaultsDiscarded>().Requests >= 1);
        m.AssertClean();
    }

    [Fact]
    public void Dma_after_the_process_exited_is_answered_invalid_and_the_bond_still_unbinds()
    {
        using var m = new SvaMachine(Kit);
        m.Mmap(2);
        m.CpuWrite(Base, 3);
        var bond = m.Bind("dev0.0");
        Assert.Equal(3UL, m.Read("dev0.0", bond.Pasid, Base, 1).Values[0]);
        Assert.Equal(Errno.None, m.Exit());
        var read = m.Read("dev0.0", bond.Pasid, Base, 1);
        Assert.Equal((Errno.EFAULT, 0, 1), (read.Errno, read.Pages, read.PageRequests));
        Assert.Equal(Errno.None, m.Unbind(bond.BondId));
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        m.AssertTornDown();
    }
}

public sealed class SvaDmaThreadPoolTests(ITestOutputHelper output) : SvaDmaTests(output, deterministic: false);

public sealed class SvaDmaDeterministicTests(ITestOutputHelper output) : SvaDmaTests(output, deterministic: true);
