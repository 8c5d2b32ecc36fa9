namespace IommuSim.Actors.Hmm;

/// <summary>
/// struct hmm_pt_iter: a registered walker of one <see cref="HmmPageTable"/>. It holds the
/// directory of each level on its current path in <see cref="Directories"/>, sized by the
/// number of levels with level 0 = the root (the review's correction: no "level - 1" offsets).
/// Directories it holds stay allocated until it ends, even if they are unlinked meanwhile.
/// </summary>
public sealed class HmmPtWalker : IDisposable
{
    internal HmmPtWalker(HmmPageTable table, long sequence, int levels)
    {
        Table = table;
        Sequence = sequence;
        Directories = new HmmPtDirectory?[levels];
    }

    internal HmmPageTable Table { get; }

    internal LinkedListNode<HmmPtWalker>? Node { get; set; }

    /// <summary>iter->ptd[level]: the directories on the current path, root first.</summary>
    internal HmmPtDirectory?[] Directories { get; }

    /// <summary>Begin order among this table's walkers (1 for the first).</summary>
    public long Sequence { get; }

    public bool IsActive => Node is not null;

    /// <summary>iter->cur: the last address looked up.</summary>
    public ulong Cur { get; private set; }

    /// <summary>
    /// hmm_pt_iter_lookup(): the entry covering <paramref name="addr"/> (empty if none or beyond
    /// the table). Keeps the path it walked, reusing it while the leaf is still linked and covers
    /// the address, as the kernel iterator keeps its mapped directories.
    /// </summary>
    public HmmPte Lookup(ulong addr)
    {
        if (!IsActive) throw new InvalidOperationException($"walker {Sequence} has ended");
        Cur = addr;
        if (!Table.CoversAddress(addr)) return HmmPte.Empty;
        var leaf = Directories[^1];
        if (leaf is null || leaf.State != HmmPtDirectoryState.Linked || addr - leaf.Base > leaf.LastAddr - leaf.Base)
            leaf = Table.WalkPath(addr, Directories);
        return leaf is null ? HmmPte.Empty : HmmPte.FromRaw(leaf.Entries![Table.LeafSlot(addr)]);
    }

    /// <summary>Ends the walk (hmm_pt_iter_fini) if it has not ended yet.</summary>
    public void Dispose()
    {
        if (IsActive) Table.EndWalk(this);
    }
}
