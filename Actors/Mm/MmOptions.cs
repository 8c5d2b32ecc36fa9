namespace IommuSim.Actors.Mm;

/// <summary>Settings of one <see cref="MmActor"/> (a forked child inherits its parent's).</summary>
public sealed record MmOptions
{
    public static readonly MmOptions Default = new();

    /// <summary>TASK_SIZE: user addresses lie below it (x86-64 with 4-level paging: 2^47).</summary>
    public ulong TaskSize { get; init; } = 1UL << 47;

    /// <summary>Where the search for a free range starts (mmap_base; the search here is bottom-up).</summary>
    public ulong MmapBase { get; init; } = 0x10_0000_0000UL;

    /// <summary>
    /// Bug injection, off in every correct configuration: change and free the CPU pages of an
    /// invalidation as soon as it starts, before the fences of the mirrors and HMM domains
    /// arrive. A device that still holds the old mapping can then read or write a freed page,
    /// which the DMA safety oracle reports; the explorer's tests use it to prove they can fail.
    /// </summary>
    public bool FreePagesBeforeFences { get; init; }

    /// <summary>
    /// Bug injection, off in every correct configuration: serve an IOMMU walk of the CPU page table
    /// (SVA) at once, even while an invalidation of the address runs, so the walk can return the
    /// page the invalidation is about to free and refill an IOTLB after it was flushed (the race
    /// ptep_clear_flush before mmu_notifier_arch_invalidate_secondary_tlbs prevents).
    /// </summary>
    public bool ServeSvaWalksDuringInvalidation { get; init; }
}
