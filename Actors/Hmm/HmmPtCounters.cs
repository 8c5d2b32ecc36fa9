namespace IommuSim.Actors.Hmm;

/// <summary>
/// Directory accounting of one HMM page table. The root directory (the kzalloc'ed pgd of
/// hmm_pt_init) lives as long as the table and is not counted; every directory below it is.
/// </summary>
/// <param name="DirectoriesAllocated">Directory pages allocated since the table was made.</param>
/// <param name="DirectoriesFreed">Directory pages really freed (after their walkers finished).</param>
/// <param name="DirectoriesPeak">Highest number of directory pages held at once.</param>
/// <param name="DeadPending">Unlinked directories waiting for walkers that may hold them.</param>
/// <param name="ValidEntries">Valid leaf entries in the table.</param>
/// <param name="ActiveWalkers">Walkers begun and not yet ended.</param>
public readonly record struct HmmPtCounters(
    long DirectoriesAllocated,
    long DirectoriesFreed,
    long DirectoriesPeak,
    long DeadPending,
    long ValidEntries,
    int ActiveWalkers)
{
    /// <summary>Directory pages held: linked ones plus dead ones not yet freed.</summary>
    public long DirectoriesLive => DirectoriesAllocated - DirectoriesFreed;

    /// <summary>Directories linked in the tree (excluding the root).</summary>
    public long DirectoriesLinked => DirectoriesLive - DeadPending;
}
