using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Tests.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.HmmDomain;

/// <summary>
/// Seed 000's hmm_domain: two mirrors (their devices behind one IOMMU domain) share one mapping
/// per directory; invalidations unmap or write-protect before the fence; the last mirror frees it.
/// The test actor plays the mm and the mirrors.
/// </summary>
public abstract class HmmDomainActorTests(ITestOutputHelper output, bool deterministic) : IommuKit(output, deterministic)
{
    /// <summary>A 2 MiB-aligned user address: the directory the tests map.</summary>
    private const ulong Dir = 0x7f00_0000_0000UL;

    private IommuUnitHandle _unit = null!;
    private IActorRef _iommu = null!;
    private IActorRef _gpu0 = null!;
    private IActorRef _gpu1 = null!;
    private IActorRef _mirrorA = null!;
    private IActorRef _mirrorB = null!;

    private IActorRef Setup(HmmDomainOptions? options = null)
    {
        _unit = Unit();
        _gpu0 = Device(_unit, "gpu0");
        _gpu1 = Device(_unit, "gpu1", atcEntries: 32);
        _iommu = Domain(_unit, IommuDomainType.Unmanaged, "iommu-domain");
        Assert.Equal(Errno.None, Attach(_iommu, "gpu0", _unit));
        Assert.Equal(Errno.None, Attach(_iommu, "gpu1", _unit));
        var hmm = Sys.ActorOf(HmmDomainActor.Props(_iommu, options), "hmm-domain");
        _mirrorA = CreateTestProbe("mirrorA").Ref;
        _mirrorB = CreateTestProbe("mirrorB").Ref;
        Assert.Equal(Done.Ok, Call<Done>(hmm, new AddDomainMirror(_mirrorA, "gpu0")));
        Assert.Equal(Done.Ok, Call<Done>(hmm, new AddDomainMirror(_mirrorB, "gpu1")));
        return hmm;
    }

    /// <summary>The 512 entries of a directory with the given pages at the given indexes.</summary>
    private static HmmPfn?[] Directory(IReadOnlyList<Pfn> pages, int first, bool write = true)
    {
        var entries = new HmmPfn?[512];
        for (var i = 0; i < pages.Count; i++) entries[first + i] = new HmmPfn(pages[i], write);
        return entries;
    }

    private DirectoryMapped MapDir(IActorRef hmm, HmmPfn?[] entries, ulong dir = Dir, long? readSequence = null) =>
        Call<DirectoryMapped>(hmm, new MapDirectory(AddressRange.FromLength(dir, M2), entries) { ReadSequence = readSequence });

    private InvalidationFence Invalidate(IActorRef hmm, ulong start, ulong length, InvalidationEvent kind, long sequence) =>
        Call<InvalidationFence>(hmm, new MmuInvalidate(AddressRange.FromLength(start, length), kind, sequence));

    private HmmDomainStats HmmStats(IActorRef hmm) => Call<HmmDomainStats>(hmm, new GetHmmDomainStats());

    [Fact]
    public void Two_mirrors_share_one_mapping_of_a_directory_and_both_devices_read_the_same_data()
    {
        var hmm = Setup();
        var pages = Pages(300, seed: 0xD000);

        var a = MapDir(hmm, Directory(pages[..100], 0));
        Assert.Equal((Errno.None, 100), (a.Errno, a.RefDelta));
        var entries = Directory(pages[..100], 0);
        for (var i = 200; i < 250; i++) entries[i] = new HmmPfn(pages[i], true);
        var b = MapDir(hmm, entries);
        Assert.Equal((Errno.None, a.IovaBase, 50), (b.Errno, b.IovaBase, b.RefDelta));
        Assert.True(a.IovaBase.IsAligned(PageSize.Size2M));

        var stats = HmmStats(hmm);
        Assert.Equal((2, 1, 150L, 1L, 1L, 0L), (stats.Mirrors, stats.MappedDirectories, stats.MappedPages, stats.MapCalls, stats.UpdateCalls, stats.UnmapCalls));
        var iommu = DomainStats(_iommu);
        Assert.Equal((150 * K4, M2), (iommu.MappedBytes, iommu.IovaAllocated));

        // Page i of the directory is at IovaBase + i * 4 KiB for both devices.
        var base0 = a.IovaBase.Value;
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 0xD000UL + (ulong)i), Read(_gpu0, base0, 100).Values);
        Assert.Equal(Enumerable.Range(200, 50).Select(i => 0xD000UL + (ulong)i), Read(_gpu1, base0 + 200 * K4, 50).Values);
        Assert.Equal(Errno.None, Write(_gpu1, base0 + 7 * K4, 0x77).Errno);
        Assert.Equal([0x77UL], Read(_gpu0, base0 + 7 * K4, 1).Values);
        Assert.Equal(0x77UL, ValueOf(pages[7]));
        // Pages no mirror mapped are holes.
        Assert.Equal(Errno.EFAULT, Read(_gpu0, base0 + 100 * K4, 1).Errno);
    }

    [Fact]
    public void The_same_device_twice_in_one_domain_is_EINVAL()
    {
        var hmm = Setup();
        Assert.Equal(new Done(Errno.EINVAL), Call<Done>(hmm, new AddDomainMirror(CreateTestProbe().Ref, "gpu0")));
        Assert.Equal(new Done(Errno.EINVAL), Call<Done>(hmm, new AddDomainMirror(_mirrorB, "gpu2")));
        Assert.Equal(2, HmmStats(hmm).Mirrors);
        Assert.Equal(new DomainMirrorRemoved(Errno.EINVAL, 2), Call<DomainMirrorRemoved>(hmm, new RemoveDomainMirror(CreateTestProbe().Ref)));
    }

    [Fact]
    public void Munmap_unmaps_the_range_before_the_fence_and_the_last_page_frees_the_directory()
    {
        var hmm = Setup();
        var pages = Pages(100);
        var mapped = MapDir(hmm, Directory(pages, 0));
        var iova = mapped.IovaBase.Value;
        Assert.Equal(Errno.None, Read(_gpu1, iova, 100).Errno);

        Assert.Equal(new InvalidationFence(3), Invalidate(hmm, Dir, 50 * K4, InvalidationEvent.Munmap, 3));
        // Right after the fence neither device can reach the range; the rest is still shared.
        Assert.Equal((Errno.EFAULT, 0), (Read(_gpu0, iova, 1).Errno, Read(_gpu1, iova + 49 * K4, 1).Pages));
        Assert.Equal(Errno.None, Read(_gpu1, iova + 50 * K4, 50).Errno);
        var stats = HmmStats(hmm);
        Assert.Equal((1, 50L, 1L), (stats.MappedDirectories, stats.MappedPages, stats.UnmapCalls));

        Assert.Equal(new InvalidationFence(5), Invalidate(hmm, Dir, M2, InvalidationEvent.Migrate, 5));
        stats = HmmStats(hmm);
        Assert.Equal((0, 0L), (stats.MappedDirectories, stats.MappedPages));
        var iommu = DomainStats(_iommu);
        Assert.Equal((0UL, 0UL, 0L), (iommu.MappedBytes, iommu.IovaAllocated, iommu.Leaves));
        // An invalidation of nothing mapped fences at once.
        Assert.Equal(new InvalidationFence(7), Invalidate(hmm, Dir, 4 * M2, InvalidationEvent.Munmap, 7));
    }

    [Fact]
    public void Write_protect_downgrades_the_pages_before_the_fence()
    {
        var hmm = Setup();
        var pages = Pages(4, seed: 1);
        var iova = MapDir(hmm, Directory(pages, 10)).IovaBase.Value + 10 * K4;
        Assert.Equal(Errno.None, Write(_gpu0, iova, 5, 6, 7, 8).Errno);
        Assert.Equal(Errno.None, Write(_gpu1, iova, 5, 6, 7, 8).Errno);

        Assert.Equal(new InvalidationFence(9), Invalidate(hmm, Dir + 10 * K4, 2 * K4, InvalidationEvent.WriteProtect, 9));
        Assert.Equal((Errno.EPERM, 0), (Write(_gpu0, iova, 1).Errno, Write(_gpu1, iova + K4, 1).Pages));
        Assert.Equal([5UL, 6], Read(_gpu1, iova, 2).Values);
        Assert.Equal(Errno.None, Write(_gpu0, iova + 2 * K4, 70, 80).Errno);
        Assert.Equal(4L, HmmStats(hmm).MappedPages);
    }

    [Fact]
    public void Pages_read_before_a_handled_invalidation_of_their_range_are_refused_with_EAGAIN()
    {
        var hmm = Setup();
        var pages = Pages(2);
        Assert.Equal(new InvalidationFence(11), Invalidate(hmm, Dir, K4, InvalidationEvent.Munmap, 11));
        Assert.Equal(Errno.EAGAIN, MapDir(hmm, Directory(pages, 0), readSequence: 10).Errno);
        Assert.Equal(Errno.None, MapDir(hmm, Directory(pages, 1), readSequence: 10).Errno);
        Assert.Equal(Errno.None, MapDir(hmm, Directory(pages, 0), readSequence: 12).Errno);
        Assert.Equal(Errno.EINVAL, Call<DirectoryMapped>(hmm, new MapDirectory(AddressRange.FromLength(Dir + K4, M2), Directory(pages, 0))).Errno);
        Assert.Equal(Errno.EINVAL, MapDir(hmm, new HmmPfn?[512]).Errno);
    }

    [Fact]
    public void The_last_mirror_leaving_unmaps_everything_and_stops_the_domain()
    {
        var hmm = Setup();
        var pages = Pages(600);
        var first = MapDir(hmm, Directory(pages[..512], 0));
        var second = MapDir(hmm, Directory(pages[512..], 3), dir: Dir + 4 * M2);
        Assert.NotEqual(first.IovaBase, second.IovaBase);
        Assert.Equal(Errno.None, Read(_gpu1, second.IovaBase.Value + 3 * K4, 88).Errno);
        Watch(hmm);

        Assert.Equal(new DomainMirrorRemoved(Errno.None, 1), Call<DomainMirrorRemoved>(hmm, new RemoveDomainMirror(_mirrorA)));
        Assert.Equal(600L, HmmStats(hmm).MappedPages);
        Assert.Equal(Errno.None, Read(_gpu0, first.IovaBase.Value, 1).Errno);

        Assert.Equal(new DomainMirrorRemoved(Errno.None, 0), Call<DomainMirrorRemoved>(hmm, new RemoveDomainMirror(_mirrorB)));
        ExpectTerminated(hmm);
        var iommu = DomainStats(_iommu);
        Assert.Equal((0UL, 0L, 0UL), (iommu.MappedBytes, iommu.Leaves, iommu.IovaAllocated));
        Assert.Equal(Errno.EFAULT, Read(_gpu1, second.IovaBase.Value + 3 * K4, 1).Errno);
        Assert.Equal(Errno.EFAULT, Read(_gpu0, first.IovaBase.Value, 1).Errno);
        Assert.False(Call<DeviceTlbProbeResult>(_gpu1, new DeviceTlbProbe(second.IovaBase + 3 * K4)).Hit);
    }

    [Fact]
    public void Skipping_the_unmap_on_munmap_lets_a_device_reach_freed_pages()
    {
        var hmm = Setup(new HmmDomainOptions { SkipUnmapOnMunmap = true });
        var pages = Pages(2, seed: 40);
        var iova = MapDir(hmm, Directory(pages, 0)).IovaBase.Value;
        using var trace = new TraceLog(Sys, typeof(DeviceDma), typeof(IovaUnmapped), typeof(IovaMapped));

        Assert.Equal(new InvalidationFence(13), Invalidate(hmm, Dir, 2 * K4, InvalidationEvent.Munmap, 13));
        // The mm frees the pages once every fence is in; the device still reaches them.
        foreach (var page in pages) Assert.Equal(Errno.None, Memory.PutPage(page));
        Assert.Equal(Errno.EIO, Read(_gpu0, iova, 2).Errno);
        Assert.Contains("dead frame", Assert.Single(SafetyViolations(trace.Events)), StringComparison.Ordinal);
        Assert.Equal(1L, Memory.Counters.UseAfterFree);
    }

    [Fact]
    public void Requests_that_arrive_while_one_waits_for_the_iommu_domain_run_in_order()
    {
        var hmm = Setup();
        var pages = Pages(3);
        Send(hmm, new MapDirectory(AddressRange.FromLength(Dir, M2), Directory(pages[..1], 0)));
        Send(hmm, new MmuInvalidate(AddressRange.FromLength(Dir, K4), InvalidationEvent.Munmap, 15));
        Send(hmm, new MapDirectory(AddressRange.FromLength(Dir, M2), Directory(pages[1..], 1)) { ReadSequence = 14 });
        Send(hmm, new MapDirectory(AddressRange.FromLength(Dir, M2), Directory(pages[1..], 1)) { ReadSequence = 16 });
        var first = ExpectMsg<DirectoryMapped>();
        Assert.Equal((Errno.None, 1), (first.Errno, first.RefDelta));
        Assert.Equal(new InvalidationFence(15), ExpectMsg<InvalidationFence>());
        Assert.Equal(Errno.None, ExpectMsg<DirectoryMapped>().Errno);
        var last = ExpectMsg<DirectoryMapped>();
        Assert.Equal((Errno.None, 0), (last.Errno, last.RefDelta));
        // The first map's page went with the invalidation, which freed the directory: the second map made a new one.
        Assert.Equal((1, 2L, 2L), (HmmStats(hmm).MappedDirectories, HmmStats(hmm).MappedPages, HmmStats(hmm).MapCalls));
    }

    [Fact]
    public void Release_unmaps_everything_and_a_stopped_iommu_domain_leaves_nothing_to_map()
    {
        var hmm = Setup();
        var iova = MapDir(hmm, Directory(Pages(4), 0)).IovaBase.Value;
        MapDir(hmm, Directory(Pages(4), 0), dir: Dir + 64 * M2);
        Assert.Equal(new InvalidationFence(21), Invalidate(hmm, 0, 1UL << 47, InvalidationEvent.Release, 21));
        Assert.Equal((0, 0L), (HmmStats(hmm).MappedDirectories, HmmStats(hmm).MappedPages));
        Assert.Equal(Errno.EFAULT, Read(_gpu0, iova, 1).Errno);

        Watch(_iommu);
        Sys.Stop(_iommu);
        ExpectTerminated(_iommu);
        Assert.Equal(Errno.ENODEV, MapDir(hmm, Directory(Pages(1), 0), readSequence: 22).Errno);
        Assert.Equal(new InvalidationFence(23), Invalidate(hmm, Dir, M2, InvalidationEvent.Munmap, 23));
    }
}

public sealed class HmmDomainActorThreadPoolTests(ITestOutputHelper output) : HmmDomainActorTests(output, deterministic: false);

public sealed class HmmDomainActorDeterministicTests(ITestOutputHelper output) : HmmDomainActorTests(output, deterministic: true);
