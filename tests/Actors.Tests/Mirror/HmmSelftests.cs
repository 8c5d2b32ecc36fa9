using IommuSim.Actors.Tests.Mm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mirror;

/// <summary>
/// tools/testing/selftests/mm/hmm-tests.c, the read / write / protection / fork cases, against
/// an MmActor and the dmirror device (HmmMirrorActor). Each test checks the data the CPU and the
/// device see, the errno, the counters (cpages, faults), and that the DMA safety oracle saw no
/// violation. The buffer is HMM_BUFFER_SIZE (1024 pages, two leaf directories) where the
/// selftest uses it.
/// </summary>
public abstract class HmmSelftests(ITestOutputHelper output, bool deterministic) : HmmKit(output, deterministic)
{
    private const ulong BufferPages = 1024;

    [Fact]
    public void Anon_read_sees_the_cpu_values_and_the_zero_pages_in_one_fault_round()
    {
        var addr = Mmap(BufferPages);
        // Leave the first two pages zero (pte_none and the zero page).
        for (ulong i = 2; i < BufferPages; i++) Assert.Equal(Errno.None, CpuWrite(addr + i * Page, i));
        Assert.Equal(Errno.None, Mprotect(addr, BufferPages, Prot.Read));
        Assert.Equal(0UL, CpuRead(addr + Page));
        var mirror = NewMirror();

        var r = DeviceRead(mirror, addr, BufferPages);

        Assert.Equal(Errno.None, r.Errno);
        Assert.Equal(BufferPages, r.CPages);
        Assert.Equal(1UL, r.Faults);
        Assert.Equal(Values(BufferPages, i => i < 2 ? 0 : i), r.Values);
        var stats = MirrorStats(mirror);
        Assert.Equal(2, stats.RangeFaults); // one per leaf directory
        Assert.Equal((long)BufferPages, stats.PagesCopied);
        AssertDmaSafe();
    }

    [Fact]
    public void Anon_read_of_prot_none_memory_is_efault_and_reads_nothing()
    {
        var addr = Mmap(BufferPages);
        CpuFill(addr, BufferPages, i => i);
        Assert.Equal(Errno.None, Mprotect(addr, BufferPages, Prot.None));
        var mirror = NewMirror();

        var r = DeviceRead(mirror, addr, BufferPages);

        Assert.Equal(Errno.EFAULT, r.Errno);
        Assert.Empty(r.Values);
        Assert.Equal(0, MirrorStats(mirror).PagesCopied);
        Assert.Equal(Errno.None, Mprotect(addr, BufferPages, Prot.Read));
        Assert.Equal(Values(BufferPages, i => i), CpuReadAll(addr, BufferPages));
        AssertDmaSafe();
    }

    [Fact]
    public void Anon_write_is_seen_by_the_cpu()
    {
        var addr = Mmap(BufferPages);
        var mirror = NewMirror();

        var r = DeviceWrite(mirror, addr, Values(BufferPages, i => i * 3));

        Assert.Equal(Errno.None, r.Errno);
        Assert.Equal(BufferPages, r.CPages);
        Assert.Equal(1UL, r.Faults);
        Assert.Equal(Values(BufferPages, i => i * 3), CpuReadAll(addr, BufferPages));
        AssertDmaSafe();
    }

    [Fact]
    public void Anon_write_to_read_only_memory_is_eperm_until_mprotect_allows_it()
    {
        var addr = Mmap(BufferPages, Prot.Read);
        var mirror = NewMirror();
        var read = DeviceRead(mirror, addr, 1);
        Assert.Equal((Errno.None, 1UL, 1UL), (read.Errno, read.CPages, read.Faults));
        var values = Values(BufferPages, i => i + 1);

        Assert.Equal(Errno.EPERM, DeviceWrite(mirror, addr, values).Errno);
        Assert.Equal(new ulong[BufferPages], CpuReadAll(addr, BufferPages));

        Assert.Equal(Errno.None, Mprotect(addr, BufferPages, RW));
        var write = DeviceWrite(mirror, addr, values);
        Assert.Equal((Errno.None, BufferPages, 1UL), (write.Errno, write.CPages, write.Faults));
        Assert.Equal(values, CpuReadAll(addr, BufferPages));
        AssertDmaSafe();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Anon_write_child_copies_on_write_and_leaves_the_parent_unchanged(bool migrate)
    {
        const ulong pages = 64;
        var addr = Mmap(pages);
        CpuFill(addr, pages, i => i);
        if (migrate)
        {
            var m = MigrateToDevice(NewMirror(), addr, pages);
            Assert.Equal((Errno.None, pages), (m.Errno, m.CPages));
        }
        var fork = Call<ForkReply>(Mm, new Fork("child"));
        Assert.Equal(Errno.None, fork.Errno);
        var child = fork.Child!;
        Assert.Equal(Values(pages, i => i), CpuReadAll(addr, pages, child));

        // The child needs its own mirror of its own mm.
        var childMirror = NewMirror(Dev0, child);
        var w = DeviceWrite(childMirror, addr, Values(pages, i => ~i));
        Assert.Equal((Errno.None, pages, 1UL), (w.Errno, w.CPages, w.Faults));

        Assert.Equal(Values(pages, i => ~i), CpuReadAll(addr, pages, child));
        Assert.Equal(Values(pages, i => i), CpuReadAll(addr, pages));
        AssertDmaSafe();
    }

    [Fact]
    public void Anon_write_child_shared_writes_the_parents_pages()
    {
        const ulong pages = 64;
        var addr = Mmap(pages, RW, MapKind.Shared);
        CpuFill(addr, pages, i => i);
        var child = Call<ForkReply>(Mm, new Fork("child")).Child!;
        var childMirror = NewMirror(Dev0, child);

        var w = DeviceWrite(childMirror, addr, Values(pages, i => ~i));

        Assert.Equal((Errno.None, pages, 1UL), (w.Errno, w.CPages, w.Faults));
        Assert.Equal(Values(pages, i => ~i), CpuReadAll(addr, pages));
        AssertDmaSafe();
    }

    [Fact]
    public void Anon_read_multiple_times_sees_each_new_buffer()
    {
        var mirror = NewMirror();
        for (ulong c = 0; c < 4; c++)
        {
            var addr = Mmap(64);
            CpuFill(addr, 64, i => i + c);
            var r = DeviceRead(mirror, addr, 64);
            Assert.Equal((Errno.None, 64UL, 1UL), (r.Errno, r.CPages, r.Faults));
            Assert.Equal(Values(64, i => i + c), r.Values);
            Assert.Equal(Errno.None, Munmap(addr, 64));
        }
        Assert.Equal(0, MirrorStats(mirror).MappedPages);
        AssertDmaSafe();
    }

    [Fact]
    public void A_device_read_after_munmap_is_efault_and_the_device_table_is_empty()
    {
        var addr = Mmap(64);
        CpuFill(addr, 64, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, DeviceRead(mirror, addr, 64).Errno);
        Assert.Equal(64, MirrorStats(mirror).MappedPages);
        var live = Memory.Counters.Live;

        Assert.Equal(Errno.None, Munmap(addr, 64));

        Assert.Equal(0, MirrorStats(mirror).MappedPages);
        Assert.Equal(live - 64, Memory.Counters.Live);
        var r = DeviceRead(mirror, addr, 64);
        Assert.Equal(Errno.EFAULT, r.Errno);
        Assert.Equal(0UL, r.CPages);
        AssertDmaSafe();
    }

    [Fact]
    public void Mremap_moves_the_pages_and_the_device_faults_them_at_their_new_address()
    {
        var addr = Mmap(64);
        CpuFill(addr, 64, i => i + 7);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, DeviceRead(mirror, addr, 64).Errno);
        var target = addr + (64UL << 20);

        var moved = Call<MmapReply>(Mm, new Mremap(new VirtAddr(addr), 64 * Page, 64 * Page, MremapFlags.MayMove | MremapFlags.Fixed, new VirtAddr(target)));

        Assert.Equal((Errno.None, target), (moved.Errno, moved.Address.Value));
        Assert.Equal(Errno.EFAULT, DeviceRead(mirror, addr, 64).Errno);
        var r = DeviceRead(mirror, target, 64);
        Assert.Equal(Errno.None, r.Errno);
        Assert.Equal(Values(64, i => i + 7), r.Values);
        AssertDmaSafe();
    }

    [Fact]
    public void A_device_may_mirror_an_mm_only_once()
    {
        var addr = Mmap(1);
        var first = NewMirror(Dev0);
        Assert.Equal(Errno.None, DeviceRead(first, addr, 1).Errno);

        var second = NewMirror(Dev0);
        Assert.Equal(Errno.EINVAL, DeviceRead(second, addr, 1).Errno);
        Assert.Equal(Errno.EINVAL, MirrorStats(second).Registration);
        Assert.Equal(1, Stats().Mirrors);
    }

    [Fact]
    public void A_mirror_whose_mm_is_gone_answers_esrch()
    {
        var addr = Mmap(4);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, DeviceRead(mirror, addr, 4).Errno);

        Watch(Mm);
        Sys.Stop(Mm);
        ExpectTerminated(Mm);
        AwaitAssert(() => Assert.Equal(Errno.ESRCH, MirrorStats(mirror).Registration));

        Assert.Equal(0, MirrorStats(mirror).MappedPages);
        Assert.Equal(Errno.ESRCH, DeviceRead(mirror, addr, 4).Errno);
        Assert.Equal(Errno.ESRCH, Snapshot(mirror, addr, 4).Errno);
    }

    [Theory]
    [InlineData(0x1000_0800UL, 1UL)]              // not page aligned
    [InlineData(0x1000_0000UL, 0UL)]              // no pages
    [InlineData(0xffff_ffff_ffff_f000UL, 2UL)]    // wraps past 2^64
    public void Dmirror_commands_reject_bad_ranges_with_einval(ulong addr, ulong pages)
    {
        var mirror = NewMirror();
        Assert.Equal(Errno.EINVAL, DeviceRead(mirror, addr, pages).Errno);
        Assert.Equal(Errno.EINVAL, MigrateToDevice(mirror, addr, pages).Errno);
        Assert.Equal(Errno.EINVAL, Snapshot(mirror, addr, pages).Errno);
        Assert.Equal(Errno.EINVAL, Exclusive(mirror, addr, pages).Errno);
        Assert.Equal(0, MirrorStats(mirror).RangeFaults);
    }

    [Fact]
    public void A_device_behind_an_iommu_domain_maps_each_leaf_directory_through_its_hmm_domain()
    {
        var iommu = Sys.ActorOf(Runtime.Props.Create(() => new NullActor()));
        var a = NewMirror(Dev0, iommuDomain: iommu);
        var b = NewMirror(Dev1, iommuDomain: iommu);
        var addr = Mmap(BufferPages);
        CpuFill(addr, BufferPages, i => i ^ 0x55);

        var r = DeviceRead(a, addr, BufferPages);
        Assert.Equal(Errno.None, r.Errno);
        Assert.Equal(Values(BufferPages, i => i ^ 0x55), r.Values);
        Assert.Equal(Values(BufferPages, i => i ^ 0x55), DeviceRead(b, addr, BufferPages).Values);

        var stats = Stats();
        Assert.Equal((2, 1), (stats.Mirrors, stats.HmmDomains));
        Assert.Equal(2, MirrorStats(a).DirectoryMaps);
        Assert.Equal(2, DomainLog.OfType<AddDomainMirror>().Count());
        Assert.Equal(4, DomainLog.OfType<MapDirectory>().Count());
        Assert.All(DomainLog.OfType<MapDirectory>(), m => Assert.NotNull(m.ReadSequence));

        Assert.Equal(Errno.None, Munmap(addr, BufferPages));
        Assert.Contains(DomainLog.OfType<MmuInvalidate>(), i => i.Event == InvalidationEvent.Munmap && i.Range.Start == addr);
        AssertDmaSafe();
    }
}

public sealed class HmmSelftestsOnThreadPool(ITestOutputHelper output) : HmmSelftests(output, deterministic: false);

public sealed class HmmSelftestsDeterministic(ITestOutputHelper output) : HmmSelftests(output, deterministic: true);
