namespace IommuSim.Actors.Hmm;

/// <summary>Settings of one <see cref="HmmMirrorActor"/>.</summary>
public sealed record MirrorOptions
{
    public static readonly MirrorOptions Default = new();

    /// <summary>
    /// mmu_interval_read_retry() before a device fault is committed: when an invalidation of an
    /// overlapping range arrived after the pages were read (while the HMM domain was mapping
    /// them), the fault is redone instead of committed. Always true in a correct configuration;
    /// false injects the bug "commit a device fault without checking the sequence", which lets a
    /// device use pages the mm has freed, so that a race explorer can prove it finds it.
    /// </summary>
    public bool CheckSequenceBeforeCommit { get; init; } = true;

    /// <summary>Highest address the device page table covers (hmm_pt.last): TASK_SIZE - 1 of x86-64 by default.</summary>
    public ulong LastAddress { get; init; } = (1UL << 47) - 1;

    /// <summary>When the device page table frees its empty directories.</summary>
    public HmmPtReclaimPolicy ReclaimPolicy { get; init; } = HmmPtReclaimPolicy.Eager;

    /// <summary>
    /// How often one chunk may be faulted again after collisions before the command fails with
    /// EBUSY (the kernel bounds the loop by time: HMM_RANGE_DEFAULT_TIMEOUT).
    /// </summary>
    public int MaxRetries { get; init; } = 64;

    /// <summary>How many rounds of dmirror_fault one command may need before it fails with EBUSY.</summary>
    public int MaxFaultRounds { get; init; } = 64;
}
