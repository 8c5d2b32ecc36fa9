namespace IommuSim.Actors.Hmm;

/// <summary>
/// When an HMM page-table directory that has become empty is unlinked. Seed 001 frees it at
/// once (hmm_pt_iter_directory_unref_safe); Mark Hairgrove's review asks whether a migrate to
/// device memory and back then thrashes directory allocations, and proposes keeping the tables
/// until munmap. Both are available so a benchmark can compare them on the same workload.
/// </summary>
public enum HmmPtReclaimPolicy
{
    /// <summary>
    /// A directory whose count of valid entries drops to 0 is unlinked from its parent at once,
    /// and the parent's count drops (which may unlink the parent in turn). An operation that
    /// visits an already empty directory (Clear, Update) unlinks it too.
    /// </summary>
    Eager,

    /// <summary>
    /// Empty directories stay linked until <see cref="HmmPageTable.Reclaim"/> is called for
    /// their range, which the mm does on munmap.
    /// </summary>
    OnMunmap,
}
