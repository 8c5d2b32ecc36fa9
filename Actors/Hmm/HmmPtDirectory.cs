using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>Life cycle of a directory page: linked in the tree, unlinked and waiting for walkers, freed.</summary>
internal enum HmmPtDirectoryState
{
    Linked,
    Dead,
    Freed,
}

/// <summary>
/// One directory page of the HMM page table: the small header the kernel keeps in the
/// directory's struct page (refcount in _mapcount, lru for the dead list) plus the 4 KiB of
/// entries. A leaf directory holds <see cref="HmmPte"/> values in <see cref="Entries"/>; an
/// upper directory holds its child directories in <see cref="Children"/> (the kernel's PDEs,
/// hmm_pde_from_pfn of the child's page; an object reference here).
/// </summary>
/// <remarks>
/// Invariant while <see cref="State"/> is Linked: <see cref="RefCount"/> equals the number of
/// valid entries (non-zero leaf entries, non-null children). Stored leaf entries are either 0
/// or a valid <see cref="HmmPte"/>, never a value with flags but no valid bit.
/// </remarks>
internal sealed class HmmPtDirectory
{
    public HmmPtDirectory(long id, int level, ulong baseAddr, ulong lastAddr, int entries, bool leaf, HmmPtDirectory? parent, int parentIndex)
    {
        Id = id;
        Level = level;
        Base = baseAddr;
        LastAddr = lastAddr;
        Parent = parent;
        ParentIndex = parentIndex;
        if (leaf) Entries = new ulong[entries];
        else Children = new HmmPtDirectory?[entries];
    }

    /// <summary>Allocation number, for messages (0 is the root).</summary>
    public long Id { get; }

    public int Level { get; }

    /// <summary>First address covered.</summary>
    public ulong Base { get; }

    /// <summary>Last address covered, inclusive (so the top directory of a 2^64 space does not wrap).</summary>
    public ulong LastAddr { get; }

    /// <summary>Leaf entries (raw <see cref="HmmPte"/> values); null for upper directories and once freed.</summary>
    public ulong[]? Entries;

    /// <summary>Child directories; null for leaf directories and once freed.</summary>
    public HmmPtDirectory?[]? Children;

    /// <summary>The directory whose entry points here, null for the root and once unlinked.</summary>
    public HmmPtDirectory? Parent;

    public int ParentIndex;

    /// <summary>Number of valid entries (the kernel's _mapcount use in hmm_pt).</summary>
    public int RefCount;

    public HmmPtDirectoryState State;

    /// <summary>The newest walker sequence number when it was unlinked: walkers at or below it may still hold it.</summary>
    public long DeathMark;

    public override string ToString() =>
        $"directory #{Id} level {Level} [{AddressFormat.Hex(Base)}..{AddressFormat.Hex(LastAddr)}] {State} refcount {RefCount}";
}
