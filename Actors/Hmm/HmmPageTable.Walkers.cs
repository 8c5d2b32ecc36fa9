namespace IommuSim.Actors.Hmm;

// Walker registration and the delayed free of dead directories: hmm_pt_iter_init() /
// hmm_pt_iter_fini() and the synchronize_rcu() before __free_page() of seed 001.
public sealed partial class HmmPageTable
{
    // Active walkers in the order they began, so the first is the oldest.
    private readonly LinkedList<HmmPtWalker> _walkers = new();

    // Unlinked directories in the order they died (so their death marks never decrease).
    private readonly Queue<HmmPtDirectory> _dead = new();

    // Problems found when freeing (a non-empty directory); reported by CheckInvariants.
    private readonly List<string> _freeViolations = [];

    // Sequence number of the newest walker begun.
    private long _walkSeq;

    /// <summary>
    /// hmm_pt_iter_init(): registers a walker. Until <see cref="EndWalk"/>, no directory that is
    /// unlinked meanwhile is freed, so the walker may keep using any directory it reached.
    /// Must be paired with <see cref="EndWalk"/> (or Dispose), or dead directories are never freed.
    /// </summary>
    public HmmPtWalker BeginWalk()
    {
        var walker = new HmmPtWalker(this, ++_walkSeq, _geometry.LevelCount);
        walker.Node = _walkers.AddLast(walker);
        return walker;
    }

    /// <summary>
    /// hmm_pt_iter_fini(): unregisters the walker, then frees every dead directory that no
    /// remaining walker could hold (one that died after the oldest remaining walker began may
    /// be held by it; the others are past their grace period).
    /// </summary>
    public void EndWalk(HmmPtWalker walker)
    {
        ArgumentNullException.ThrowIfNull(walker);
        if (!ReferenceEquals(walker.Table, this))
            throw new ArgumentException("the walker belongs to another HMM page table", nameof(walker));
        if (walker.Node is null)
            throw new InvalidOperationException($"walker {walker.Sequence} has already ended");
        _walkers.Remove(walker.Node);
        walker.Node = null;
        Array.Clear(walker.Directories);
        FreeDeadDirectories();
    }

    // Frees dead directories from the front of the dead list while no active walker began at
    // or before their death. The list is ordered by death, so the first one that must wait
    // makes all later ones wait too.
    private void FreeDeadDirectories()
    {
        while (_dead.Count > 0)
        {
            var dir = _dead.Peek();
            if (_walkers.First is { } oldest && oldest.Value.Sequence <= dir.DeathMark) return;
            _dead.Dequeue();
            FreeDirectory(dir);
        }
    }

    // __free_page() of a directory: it must be empty; otherwise the table lost entries, which
    // the invariant check reports.
    private void FreeDirectory(HmmPtDirectory dir)
    {
        var live = CountValid(dir);
        if (live != 0 || dir.RefCount != 0)
            _freeViolations.Add($"{dir} was freed with {live} valid entries");
        dir.State = HmmPtDirectoryState.Freed;
        dir.Entries = null;
        dir.Children = null;
        dir.Parent = null;
        _freed++;
    }

    // The walker's lookup: walks from the root recording each level's directory in path, and
    // returns the leaf covering addr (within the table) or null where a directory is missing.
    internal HmmPtDirectory? WalkPath(ulong addr, HmmPtDirectory?[] path)
    {
        Array.Clear(path);
        var dir = _root;
        path[0] = dir;
        for (var level = 0; level < _lastLevel; level++)
        {
            var child = dir.Children![_geometry.Index(addr, level)];
            if (child is null) return null;
            dir = child;
            path[level + 1] = dir;
        }
        return dir;
    }

    internal bool CoversAddress(ulong addr) => addr <= _lastByte;

    internal int LeafSlot(ulong addr) => LeafIndex(addr);

    private static int CountValid(HmmPtDirectory dir)
    {
        if (dir.Entries is { } entries) return entries.Length - entries.AsSpan().Count(0UL);
        var count = 0;
        if (dir.Children is { } children)
            foreach (var child in children)
                if (child is not null) count++;
        return count;
    }
}
