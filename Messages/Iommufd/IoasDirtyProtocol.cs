using IommuSim.Runtime;

namespace IommuSim.Messages.Iommufd;

// iommufd's dirty tracking requests to an IoasActor (IOMMU_HWPT_SET_DIRTY_TRACKING and
// IOMMU_HWPT_GET_DIRTY_BITMAP, drivers/iommu/iommufd/hw_pagetable.c, on the seed 004 design:
// iopt_set_dirty_tracking and iopt_read_and_clear_dirty_data).

/// <summary>
/// iopt_set_dirty_tracking on an attached domain: enabling first clears every dirty bit of the
/// IOAS's areas and syncs the IOTLB, so that tracking starts from a clean snapshot. EOPNOTSUPP for
/// a domain without dirty tracking (allocated without it, or on hardware without it); ENOENT for a
/// domain not attached here. Reply: <see cref="Done"/>.
/// </summary>
public sealed record IoasSetDirtyTracking(IActorRef Domain, bool Enable) : IIoasRequest;

/// <summary>The flags of IOMMU_HWPT_GET_DIRTY_BITMAP.</summary>
[Flags]
public enum DirtyBitmapFlags
{
    None = 0,
    /// <summary>IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: read the dirty bits and leave them set.</summary>
    NoClear = 1,
}

/// <summary>
/// iopt_read_and_clear_dirty_data: reads and clears the dirty bits of [<paramref name="Iova"/>,
/// + <paramref name="Length"/>) into a bitmap with one bit per <paramref name="PageSize"/> bytes
/// (bit i in word i / 64 at position i % 64), from <paramref name="Domain"/> or, when null, from
/// every attached domain into the same bitmap (the seed's xa_for_each). The range must be exactly
/// covered by areas. <paramref name="Data"/> is the user's buffer, handed over until the reply
/// (the ioctl's data pointer; bits are OR-ed into it); when null the IOAS allocates a zeroed one.
/// Reply: <see cref="IoasDirtyBitmap"/>.
/// </summary>
public sealed record IoasGetDirtyBitmap(
    IActorRef? Domain,
    Iova Iova,
    ulong Length,
    ulong PageSize,
    DirtyBitmapFlags Flags = DirtyBitmapFlags.None,
    ulong[]? Data = null) : IIoasRequest;

/// <param name="Data">The bitmap (the request's buffer, or a new one); null on an error.</param>
/// <param name="Chunks">Driver calls made, each over at most one page of bitmap page pointers (64 GiB of IOVA at 4 KiB), summed over the domains read.</param>
/// <param name="DirtyLeaves">Dirty IOPTEs found, summed over the domains read.</param>
/// <param name="Domains">Domains read.</param>
public sealed record IoasDirtyBitmap(Errno Errno, ulong[]? Data, long Chunks, long DirtyLeaves, int Domains) : IReply
{
    /// <summary>Whether bit <paramref name="bit"/> is set.</summary>
    public bool IsSet(long bit) => Data is { } d && (d[bit >> 6] & (1UL << (int)(bit & 63))) != 0;

    /// <summary>The set bits, in order.</summary>
    public IEnumerable<long> SetBits()
    {
        if (Data is not { } d) yield break;
        for (var w = 0; w < d.Length; w++)
            for (var word = d[w]; word != 0; word &= word - 1)
                yield return ((long)w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
    }
}
