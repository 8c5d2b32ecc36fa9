namespace IommuSim.Actors.Hmm;

/// <summary>Settings of one <see cref="HmmDomainActor"/>.</summary>
public sealed record HmmDomainOptions
{
    public static readonly HmmDomainOptions Default = new();

    /// <summary>Highest address of the mm (hmm->pt.max_addr): the domain table covers [0, Last]. TASK_SIZE - 1 for x86-64 4-level paging.</summary>
    public ulong Last { get; init; } = (1UL << 47) - 1;

    /// <summary>When the domain table frees a directory that empties (seed 001's policy setting, for the domain table).</summary>
    public HmmPtReclaimPolicy Policy { get; init; } = HmmPtReclaimPolicy.Eager;

    /// <summary>How many recent invalidations the domain remembers to refuse a MapDirectory read before one of them (EAGAIN).</summary>
    public int InvalidationLogSize { get; init; } = 256;

    /// <summary>
    /// Bug injection, off in every correct configuration: on a MUNMAP invalidation, fence at once
    /// without unmapping the range's directories (hmm_update forgetting hmm_domain_unmap). The
    /// IOMMU mappings of the freed pages stay, and a device can still DMA to them after munmap
    /// returned, which the DMA safety check reports.
    /// </summary>
    public bool SkipUnmapOnMunmap { get; init; }

    /// <summary>
    /// Bug injection, off in every correct configuration: when an unmap leaves some of a
    /// directory's pages mapped, drop the directory's entry anyway, as if its refcount were zero
    /// (the directory freed while still referenced). The pages still mapped keep their IOMMU
    /// mappings, and the domain no longer knows them, so a later invalidation of those pages
    /// fences without unmapping them and a device can DMA to them after they are freed.
    /// </summary>
    public bool FreeReferencedDirectories { get; init; }
}
