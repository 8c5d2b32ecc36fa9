using IommuSim.Actors.Hmm;
using IommuSim.Actors.Tests.Mm;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mirror;

/// <summary>
/// The device page table's directory counters in MirrorStats, under both reclaim policies of seed
/// 001: eager frees a directory as soon as an invalidation empties it, on-munmap keeps it until
/// the range is unmapped.
/// </summary>
public abstract class MirrorTableReclaimTests(ITestOutputHelper output, bool deterministic) : HmmKit(output, deterministic)
{
    private const ulong Pages = 8;

    private (MirrorStats AfterRead, MirrorStats AfterProtect, MirrorStats AfterMunmap) ReadProtectUnmap(HmmPtReclaimPolicy policy)
    {
        var mirror = NewMirror(options: new MirrorOptions { ReclaimPolicy = policy });
        var addr = Mmap(Pages);
        CpuFill(addr, Pages, i => i);
        Assert.Equal(Errno.None, DeviceRead(mirror, addr, Pages).Errno);
        var read = MirrorStats(mirror);
        Assert.Equal(Errno.None, Mprotect(addr, Pages, Prot.Read)); // WRITE_PROTECT: the mirror clears the range
        var protect = MirrorStats(mirror);
        Assert.Equal(Errno.None, Munmap(addr, Pages));
        return (read, protect, MirrorStats(mirror));
    }

    [Fact]
    public void Eager_reclaim_frees_the_directories_when_an_invalidation_empties_them()
    {
        var (read, protect, munmap) = ReadProtectUnmap(HmmPtReclaimPolicy.Eager);
        Assert.True(read.TableDirectoriesAllocated > 0);
        Assert.Equal(read.TableDirectoriesAllocated, read.TableDirectoriesLive);
        Assert.Equal(0, protect.MappedPages);
        Assert.Equal(0, protect.TableDirectoriesLive);
        Assert.Equal(read.TableDirectoriesAllocated, protect.TableDirectoriesFreed);
        Assert.Equal(0, munmap.TableDirectoriesLive);
    }

    [Fact]
    public void On_munmap_reclaim_keeps_the_emptied_directories_until_munmap()
    {
        var (read, protect, munmap) = ReadProtectUnmap(HmmPtReclaimPolicy.OnMunmap);
        Assert.Equal(0, protect.MappedPages);
        Assert.Equal(read.TableDirectoriesLive, protect.TableDirectoriesLive);
        Assert.Equal(0, protect.TableDirectoriesFreed);
        Assert.Equal(0, munmap.TableDirectoriesLive);
        Assert.Equal(read.TableDirectoriesAllocated, munmap.TableDirectoriesFreed);
        AssertDmaSafe();
    }
}

public sealed class MirrorTableReclaimTestsOnThreadPool(ITestOutputHelper output) : MirrorTableReclaimTests(output, deterministic: false);

public sealed class MirrorTableReclaimTestsDeterministic(ITestOutputHelper output) : MirrorTableReclaimTests(output, deterministic: true);
