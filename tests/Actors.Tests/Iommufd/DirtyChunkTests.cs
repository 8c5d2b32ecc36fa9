using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// Seed 004's chunked walk on the domain itself, over a sparse IOVA range too large to back with
/// memory: one driver call per page of bitmap page pointers (2^24 bits, 64 GiB of IOVA at 4 KiB),
/// bits right across the chunk boundaries, a huge leaf that straddles one read and recorded once,
/// and a single IOTLB sync per read whatever the chunk count.
/// </summary>
public abstract class DirtyChunkTests(ITestOutputHelper output, bool deterministic) : IoasKit(output, deterministic)
{
    private const ulong G64 = 64 * G1;

    /// <summary>A tracking domain with a device attached, its leaves mapped to arbitrary frames (the walk needs no memory).</summary>
    private (IommuUnitHandle Unit, IActorRef Domain) TrackingDomain()
    {
        var unit = Unit();
        Device(unit, "gpu0");
        var domain = DirtyDomain(unit);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        Assert.Equal(Errno.None, Call<Done>(domain, new IommuSetDirtyTracking(true)).Errno);
        return (unit, domain);
    }

    private void MapAt(IActorRef domain, ulong iova, ulong size) =>
        Assert.Equal(Errno.None, Call<Done>(domain, new IommuMap(new Iova(iova), new PhysAddr(size == K4 ? 0x1234_5000 : iova), size, IommuProt.Read | IommuProt.Write)).Errno);

    /// <summary>What a device write does to the table: a write walk (the unit's TranslateRange).</summary>
    private void Dirty(IActorRef domain, ulong iova) =>
        Assert.Equal(Errno.None, Call<Translation>(domain, new Translate(new Iova(iova), Write: true)).Errno);

    private IommuDirtyRead ReadDomain(IActorRef domain, ulong iova, ulong length, ulong pageSize, ulong[] bitmap, bool noClear = false) =>
        Call<IommuDirtyRead>(domain, new IommuReadAndClearDirty(new Iova(iova), length, pageSize, bitmap, noClear));

    private static List<long> SetBits(ulong[] words)
    {
        var bits = new List<long>();
        for (var i = 0; i < words.Length; i++)
            for (var w = words[i]; w != 0; w &= w - 1)
                bits.Add(((long)i << 6) + System.Numerics.BitOperations.TrailingZeroCount(w));
        return bits;
    }

    [Fact]
    public void A_read_over_192_GiB_walks_three_64_GiB_chunks_and_syncs_once()
    {
        var (unit, domain) = TrackingDomain();
        ulong[] leaves = [0, G64 - K4, G64, 2 * G64 - K4, 2 * G64 + K4, 3 * G64 - K4];
        foreach (var iova in leaves) MapAt(domain, iova, K4);
        foreach (var iova in leaves.Skip(1)) Dirty(domain, iova);
        using var log = new TraceLog(Sys, typeof(IotlbFlushed));
        var syncs = UnitStats(unit).Syncs;

        var bitmap = new ulong[IovaBitmap.WordsFor(3 * G64, PageSize.Size4K)];
        var read = ReadDomain(domain, 0, 3 * G64, K4, bitmap);
        Assert.Equal(new IommuDirtyRead(Errno.None, 3, 5, true), read);
        Assert.Equal(leaves.Skip(1).Select(i => (long)(i / K4)), SetBits(bitmap));
        Assert.Equal(syncs + 1, UnitStats(unit).Syncs);
        var flush = Assert.IsType<IotlbFlushed>(Assert.Single(log.Events));
        // One range command from the first dirty leaf to the end of the last (add_range widens the gather).
        Assert.Equal([IotlbInvalidation.Range(new Iova(G64 - K4), 2 * G64 + K4, K4)], flush.Commands);

        var again = new ulong[bitmap.Length];
        Assert.Equal(new IommuDirtyRead(Errno.None, 3, 0, true), ReadDomain(domain, 0, 3 * G64, K4, again));
        Assert.Empty(SetBits(again));
        var stats = DirtyStats(domain);
        Assert.Equal((2L, 6L, 5L), (stats.Reads, stats.Chunks, stats.DirtyLeaves));
    }

    [Fact]
    public void A_chunk_covers_2_pow_24_bitmap_pages_so_2_MiB_pages_make_32_TiB_chunks()
    {
        var (_, domain) = TrackingDomain();
        const ulong T32 = 32UL << 40;
        MapAt(domain, T32 - M2, M2);
        MapAt(domain, T32, M2);
        Dirty(domain, T32 - M2 + 5 * K4);
        Dirty(domain, T32);
        var bitmap = new ulong[IovaBitmap.WordsFor(2 * T32, PageSize.Size2M)];
        Assert.Equal(new IommuDirtyRead(Errno.None, 2, 2, true), ReadDomain(domain, 0, 2 * T32, M2, bitmap));
        Assert.Equal([(long)(T32 / M2) - 1, (long)(T32 / M2)], SetBits(bitmap));
    }

    [Fact]
    public void A_huge_leaf_across_a_chunk_boundary_is_read_cleared_and_recorded_whole_once()
    {
        var (_, domain) = TrackingDomain();
        // The read starts 4 KiB in, so its first chunk ends at 64 GiB + 4 KiB, inside [64 GiB, 65 GiB).
        MapAt(domain, G64, G1);
        Dirty(domain, G64 + G1 - K4);
        var length = 2 * G64;
        var bitmap = new ulong[IovaBitmap.WordsFor(length, PageSize.Size4K)];
        Assert.Equal(new IommuDirtyRead(Errno.None, 2, 1, true), ReadDomain(domain, K4, length, K4, bitmap));
        var first = (long)((G64 - K4) / K4);
        Assert.Equal(Enumerable.Range(0, (int)(G1 / K4)).Select(i => first + i), SetBits(bitmap));
    }

    [Fact]
    public void Domain_reads_refuse_what_the_kernel_refuses()
    {
        var (_, domain) = TrackingDomain();
        var words = new ulong[16];
        Assert.Equal(Errno.EINVAL, ReadDomain(domain, 0, 0, K4, words).Errno);
        Assert.Equal(Errno.EOVERFLOW, ReadDomain(domain, ulong.MaxValue - K4 + 1, 2 * K4, K4, words).Errno);
        Assert.Equal(Errno.EINVAL, ReadDomain(domain, 0x800, K4, K4, words).Errno);
        Assert.Equal(Errno.EINVAL, ReadDomain(domain, 0, K4, 0, words).Errno);
        Assert.Equal(Errno.EFAULT, ReadDomain(domain, 0, 2048 * K4, K4, words).Errno);
        Assert.Equal(Errno.None, Call<Done>(domain, new IommuSetDirtyTracking(false)).Errno);
        Assert.Equal(Errno.EINVAL, ReadDomain(domain, 0, K4, K4, words).Errno);
        Assert.Equal(Errno.EINVAL, ReadDomain(domain, 0, K4, K4, words, noClear: true).Errno);

        var plain = Domain(Unit("iommu1"));
        Assert.Equal(Errno.EOPNOTSUPP, ReadDomain(plain, 0, K4, K4, words).Errno);
        Assert.Equal(Errno.EOPNOTSUPP, Call<Done>(plain, new IommuSetDirtyTracking(true)).Errno);
    }
}

public sealed class DirtyChunkThreadPoolTests(ITestOutputHelper output) : DirtyChunkTests(output, deterministic: false);

public sealed class DirtyChunkDeterministicTests(ITestOutputHelper output) : DirtyChunkTests(output, deterministic: true);
