using IommuSim.Actors.Tests.Mm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mirror;

/// <summary>
/// hmm-tests.c's migration, snapshot and exclusive-access cases: pages move to a device's
/// private memory and back (on CPU access or on request), snapshots report each page in the
/// HMM_DMIRROR_PROT_* encoding, and exclusive entries are revoked by the CPU.
/// </summary>
public abstract class HmmMigrationSelftests(ITestOutputHelper output, bool deterministic) : HmmKit(output, deterministic)
{
    private const ulong Pages = 64;

    private long DevicePagesLive(string device) => Memory.DevicePools.Single(p => p.Owner == device).Counters.Live;

    [Fact]
    public void Migrate_moves_the_pages_to_device_memory_and_a_cpu_read_brings_them_back()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();
        var ramBefore = Memory.SystemRam.Counters.Live;

        var m = MigrateToDevice(mirror, addr, Pages);

        Assert.Equal((Errno.None, Pages), (m.Errno, m.CPages));
        Assert.Equal(Values(Pages, i => i), m.Values);
        Assert.Equal((long)Pages, DevicePagesLive(Dev0));
        Assert.Equal(ramBefore - (long)Pages, Memory.SystemRam.Counters.Live);
        Assert.All(Snapshot(mirror, addr, Pages).Prot, p => Assert.Equal(HmmDmirrorProt.DevPrivateLocal | HmmDmirrorProt.Write, p));

        Assert.Equal(Values(Pages, i => i), CpuReadAll(addr, Pages));
        Assert.Equal(0, DevicePagesLive(Dev0));
        Assert.All(Snapshot(mirror, addr, Pages).Prot, p => Assert.Equal(HmmDmirrorProt.Write, p));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_fault_migrates_a_mix_of_device_and_system_pages_again()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, Pages).Errno);
        Assert.Equal(Values(Pages / 2, i => i), CpuReadAll(addr, Pages / 2));

        var again = MigrateToDevice(mirror, addr, Pages);

        Assert.Equal((Errno.None, Pages), (again.Errno, again.CPages));
        Assert.Equal(Values(Pages, i => i), again.Values);
        Assert.Equal((long)Pages, DevicePagesLive(Dev0));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_of_a_shared_mapping_is_enoent_and_moves_nothing()
    {
        var addr = Mmap(Pages, RW, MapKind.Shared);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();

        Assert.Equal(Errno.ENOENT, MigrateToDevice(mirror, addr, Pages).Errno);
        Assert.Equal(0, DevicePagesLive(Dev0));
        Assert.Equal(Values(Pages, i => i), CpuReadAll(addr, Pages));
    }

    [Fact]
    public void Migrate_mixed_refuses_protected_and_unmapped_pages_and_pages_of_another_device()
    {
        var dev0 = NewMirror(Dev0);
        var dev1 = NewMirror(Dev1);
        var p = Call<MmapReply>(Mm, new Mmap(6 * Page, Prot.None)).Address.Value;

        Assert.Equal(Errno.EINVAL, MigrateToDevice(dev1, p, 6).Errno);
        Assert.Equal(Errno.None, Munmap(p + Page, 1));
        Assert.Equal(Errno.EINVAL, MigrateToDevice(dev1, p, 3).Errno);

        Assert.Equal(Errno.None, Mprotect(p + 2 * Page, 1, Prot.Read));
        Assert.Equal(0UL, CpuRead(p + 2 * Page));
        Assert.Equal(Errno.None, Mprotect(p + 3 * Page, 1, RW));
        Assert.Equal(Errno.None, CpuWrite(p + 3 * Page, 3));
        Assert.Equal(Errno.None, Mprotect(p + 3 * Page, 1, Prot.Read));
        Assert.Equal(Errno.None, Mprotect(p + 4 * Page, 2, RW));
        Assert.Equal(Errno.None, CpuWrite(p + 4 * Page, 3));
        Assert.Equal(Errno.None, CpuWrite(p + 5 * Page, 3));

        var m = MigrateToDevice(dev1, p + 2 * Page, 4);
        Assert.Equal((Errno.None, 4UL), (m.Errno, m.CPages));
        Assert.Equal(new ulong[] { 0, 3, 3, 3 }, m.Values);

        // Page 5 will not move to device 0 while it is on device 1.
        Assert.Equal(Errno.ENOENT, MigrateToDevice(dev0, p + 5 * Page, 1).Errno);
        Assert.Equal(4, DevicePagesLive(Dev1));
        Assert.Equal(0, DevicePagesLive(Dev0));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_multiple_times_and_back_by_cpu_access()
    {
        var mirror = NewMirror();
        for (ulong c = 0; c < 4; c++)
        {
            var addr = Mmap(Pages);
            CpuFill(addr, Pages, i => i * c);
            var m = MigrateToDevice(mirror, addr, Pages);
            Assert.Equal((Errno.None, Pages), (m.Errno, m.CPages));
            Assert.Equal(Values(Pages, i => i * c), m.Values);
            Assert.Equal(Values(Pages, i => i * c), CpuReadAll(addr, Pages));
        }
        Assert.Equal(0, DevicePagesLive(Dev0));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_to_system_brings_this_devices_pages_back()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i + 100);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, Pages).Errno);

        var back = MigrateToSystem(mirror, addr, Pages);

        Assert.Equal((Errno.None, Pages), (back.Errno, back.CPages));
        Assert.Equal(0, DevicePagesLive(Dev0));
        Assert.All(Snapshot(mirror, addr, Pages).Prot, p => Assert.Equal(HmmDmirrorProt.Write, p));
        Assert.Equal(Values(Pages, i => i + 100), CpuReadAll(addr, Pages));
        var again = MigrateToSystem(mirror, addr, Pages);
        Assert.Equal((Errno.None, 0UL), (again.Errno, again.CPages));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_release_gives_the_device_memory_back_and_the_cpu_reads_the_data()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, Pages).Errno);

        var release = Call<MirrorCmdReply>(mirror, new MirrorRelease());

        Assert.Equal((Errno.None, Pages), (release.Errno, release.CPages));
        Assert.Equal(0, DevicePagesLive(Dev0));
        Assert.Equal(0, MirrorStats(mirror).MappedPages);
        Assert.Equal(Values(Pages / 2, i => i), CpuReadAll(addr, Pages / 2));
        var again = Call<MirrorCmdReply>(mirror, new MirrorRelease());
        Assert.Equal((Errno.None, 0UL), (again.Errno, again.CPages));
        AssertDmaSafe();
    }

    [Fact]
    public void Migrate_then_partial_munmap_keeps_the_rest_readable()
    {
        const ulong pages = 512;
        var addr = Mmap(pages);
        CpuFill(addr, pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, pages).Errno);

        Assert.Equal(Errno.None, Munmap(addr + pages / 4 * Page, pages / 2));

        Assert.Equal(pages / 2, (ulong)DevicePagesLive(Dev0));
        for (ulong i = 0; i < pages; i++)
        {
            if (i >= pages / 4 && i < 3 * pages / 4) continue;
            Assert.Equal(i, CpuRead(addr + i * Page));
        }
        Assert.Equal(Errno.EFAULT, CpuReadReply(addr + pages / 2 * Page).Errno);
        AssertDmaSafe();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Migrate_remap_fault_finds_the_data_at_the_new_address(bool remapBeforeMigrate, bool dontUnmap)
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i ^ 0xabc);
        var mirror = NewMirror();
        var target = addr + (128UL << 20);
        var flags = MremapFlags.MayMove | MremapFlags.Fixed | (dontUnmap ? MremapFlags.DontUnmap : MremapFlags.None);
        var current = addr;
        void Remap()
        {
            var r = Call<MmapReply>(Mm, new Mremap(new VirtAddr(addr), Pages * Page, Pages * Page, flags, new VirtAddr(target)));
            Assert.Equal((Errno.None, target), (r.Errno, r.Address.Value));
            current = target;
        }
        if (remapBeforeMigrate) Remap();
        var m = MigrateToDevice(mirror, current, Pages);
        Assert.Equal((Errno.None, Pages), (m.Errno, m.CPages));
        if (!remapBeforeMigrate) Remap();

        Assert.Equal(Values(Pages, i => i ^ 0xabc), CpuReadAll(target, Pages));
        if (dontUnmap) Assert.Equal(new ulong[Pages], CpuReadAll(addr, Pages));
        else Assert.Equal(Errno.EFAULT, CpuReadReply(addr).Errno);
        AssertDmaSafe();
    }

    [Fact]
    public void Snapshot_reports_each_kind_of_page_as_hmm_tests_expects()
    {
        var dev0 = NewMirror(Dev0);
        var dev1 = NewMirror(Dev1);
        var p = Call<MmapReply>(Mm, new Mmap(7 * Page, Prot.None)).Address.Value;
        Assert.Equal(Errno.None, Munmap(p + Page, 1));
        Assert.Equal(Errno.None, Mprotect(p + 2 * Page, 1, Prot.Read));
        Assert.Equal(0UL, CpuRead(p + 2 * Page));
        Assert.Equal(Errno.None, Mprotect(p + 3 * Page, 1, RW));
        Assert.Equal(Errno.None, CpuWrite(p + 3 * Page, 3));
        Assert.Equal(Errno.None, Mprotect(p + 3 * Page, 1, Prot.Read));
        Assert.Equal(Errno.None, Mprotect(p + 4 * Page, 3, RW));
        Assert.Equal(Errno.None, CpuWrite(p + 4 * Page, 3));
        Assert.Equal(1UL, MigrateToDevice(dev0, p + 5 * Page, 1).CPages);
        Assert.Equal(Errno.None, MigrateToDevice(dev1, p + 6 * Page, 1).Errno);

        var s = Snapshot(dev0, p, 7);

        Assert.Equal((Errno.None, 7UL), (s.Errno, s.CPages));
        Assert.Equal(
            new byte[]
            {
                HmmDmirrorProt.Error,
                HmmDmirrorProt.Error,
                HmmDmirrorProt.Zero | HmmDmirrorProt.Read,
                HmmDmirrorProt.Read,
                HmmDmirrorProt.Write,
                HmmDmirrorProt.DevPrivateLocal | HmmDmirrorProt.Write,
                HmmDmirrorProt.None,
            },
            s.Prot);
        Assert.Equal(0, MirrorStats(dev0).RangeFaults);
    }

    [Fact]
    public void Double_map_lets_two_devices_read_and_a_read_brings_the_other_devices_pages_back()
    {
        const ulong pages = 6;
        var dev0 = NewMirror(Dev0);
        var dev1 = NewMirror(Dev1);
        var addr = Mmap(pages);
        CpuFill(addr, pages, i => i);
        Assert.Equal(Errno.None, Mprotect(addr, pages, Prot.Read));

        Assert.Equal(Values(pages, i => i), DeviceRead(dev0, addr, pages).Values);
        Assert.Equal(Values(pages, i => i), DeviceRead(dev1, addr, pages).Values);
        var m = MigrateToDevice(dev1, addr, pages);
        Assert.Equal((Errno.None, pages), (m.Errno, m.CPages));

        var r = DeviceRead(dev0, addr, pages);
        Assert.Equal((Errno.None, pages, 1UL), (r.Errno, r.CPages, r.Faults));
        Assert.Equal(Values(pages, i => i), r.Values);
        Assert.Equal(0, DevicePagesLive(Dev1));
        AssertDmaSafe();
    }

    [Fact]
    public void A_device_behind_an_iommu_domain_faults_its_own_memory_back_in_without_the_domain()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i * 5);
        var iommu = Sys.ActorOf(Runtime.Props.Create(() => new NullActor()));
        var mirror = NewMirror(Dev0, iommuDomain: iommu);
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, Pages).Errno);
        // Write-protecting clears the device's table; the pages stay in its memory.
        Assert.Equal(Errno.None, Mprotect(addr, Pages, Prot.Read));
        Assert.Equal(0, MirrorStats(mirror).MappedPages);

        var r = DeviceRead(mirror, addr, Pages);

        Assert.Equal((Errno.None, 1UL), (r.Errno, r.Faults));
        Assert.Equal(Values(Pages, i => i * 5), r.Values);
        Assert.Equal(0, MirrorStats(mirror).DirectoryMaps);
        Assert.Equal((long)Pages, DevicePagesLive(Dev0));
        AssertDmaSafe();
    }

    [Fact]
    public void Exclusive_access_is_revoked_by_cpu_access()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();

        var e = Exclusive(mirror, addr, Pages);
        Assert.Equal((Errno.None, Pages), (e.Errno, e.CPages));
        Assert.Equal(Values(Pages, i => i), e.Values);
        Assert.Equal(Errno.EPERM, CheckExclusive(mirror, addr, Pages));

        for (ulong i = 0; i < Pages; i++) Assert.Equal(Errno.None, CpuWrite(addr + i * Page, CpuRead(addr + i * Page) + 1));
        Assert.Equal(Values(Pages, i => i + 1), CpuReadAll(addr, Pages));
        Assert.Equal(Errno.None, CheckExclusive(mirror, addr, Pages));
        AssertDmaSafe();
    }

    [Fact]
    public void Exclusive_then_mprotect_read_makes_a_device_write_eperm()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, Exclusive(mirror, addr, Pages).Errno);

        Assert.Equal(Errno.None, Mprotect(addr, Pages, Prot.Read));

        Assert.Equal(Errno.EPERM, DeviceWrite(mirror, addr, Values(Pages, i => 0)).Errno);
        Assert.Equal(Values(Pages, i => i), CpuReadAll(addr, Pages));
    }

    [Fact]
    public void Exclusive_cow_lets_parent_and_child_each_increment_their_copy()
    {
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, Exclusive(mirror, addr, Pages).Errno);
        var child = Call<ForkReply>(Mm, new Fork("child")).Child!;

        foreach (var mm in new[] { child, Mm })
        {
            for (ulong i = 0; i < Pages; i++) Assert.Equal(Errno.None, CpuWrite(addr + i * Page, CpuRead(addr + i * Page, mm) + 1, mm));
            Assert.Equal(Values(Pages, i => i + 1), CpuReadAll(addr, Pages, mm));
        }
        AssertDmaSafe();
    }

    [Fact]
    public void Cow_in_device_gives_the_writing_parent_system_pages()
    {
        const ulong pages = 4;
        var addr = Mmap(pages);
        CpuFill(addr, pages, i => i);
        var mirror = NewMirror();
        Assert.Equal(Errno.None, MigrateToDevice(mirror, addr, pages).Errno);
        var child = Call<ForkReply>(Mm, new Fork("child")).Child!;

        CpuFill(addr, pages, i => i);

        Assert.All(Snapshot(mirror, addr, pages).Prot, p => Assert.Equal(HmmDmirrorProt.Write, p));
        // The child still reads the values through its copy of the device pages.
        Assert.Equal(Values(pages, i => i), CpuReadAll(addr, pages, child));
        AssertDmaSafe();
    }
}

public sealed class HmmMigrationSelftestsOnThreadPool(ITestOutputHelper output) : HmmMigrationSelftests(output, deterministic: false);

public sealed class HmmMigrationSelftestsDeterministic(ITestOutputHelper output) : HmmMigrationSelftests(output, deterministic: true);
