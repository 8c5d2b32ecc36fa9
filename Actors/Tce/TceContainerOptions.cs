namespace IommuSim.Actors.Tce;

/// <summary>
/// The process limits a VFIO sPAPR container is accounted against, and the bugs that can be
/// injected into it on purpose (every default is the correct kernel).
/// </summary>
public sealed record TceContainerOptions
{
    public static readonly TceContainerOptions Default = new();

    /// <summary>RLIMIT_MEMLOCK of the process in bytes; <see cref="ulong.MaxValue"/> is RLIM_INFINITY.</summary>
    public ulong MemlockLimitBytes { get; init; } = ulong.MaxValue;

    /// <summary>The process has CAP_IPC_LOCK: RLIMIT_MEMLOCK does not apply (account_locked_vm).</summary>
    public bool CapIpcLock { get; init; }

    /// <summary>
    /// Bug injection: a released page is not marked dirty even when the device could write it
    /// (FROM_DEVICE or BIDIRECTIONAL), so what the device wrote may be lost by reclaim or never
    /// written back — the SetPageDirty that seed 003 moved into iommu_tce_xchg, forgotten.
    /// </summary>
    public bool SkipDirtyOnRelease { get; init; }

    /// <summary>
    /// Bug injection: the TCE cache is invalidated (and the invalidation waited for) before the
    /// entries are exchanged instead of after, and the replaced pages are released right after the
    /// exchange. A TCE fetch between the two refills the PHB's cache with the old entry, which then
    /// outlives the release of its page.
    /// </summary>
    public bool InvalidateBeforeExchange { get; init; }
}
