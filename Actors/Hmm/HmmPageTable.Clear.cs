using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

// Removing and rewriting entries, and shrinking the tree: the MUNMAP / MIGRATE / WRITE_PROTECT
// side of hmm_update() (seed 000) and hmm_pt_iter_directory_unref_safe() (seed 001).
public sealed partial class HmmPageTable
{
    /// <summary>
    /// Clears every valid entry the range overlaps (MUNMAP and MIGRATE in hmm_update) and drops
    /// each leaf's refcount by what it lost, in one step per leaf (gpt_ptp_batch_unref). With
    /// <see cref="HmmPtReclaimPolicy.Eager"/> every leaf left empty is unlinked, and so is every
    /// ancestor that empties in turn. Returns the number of entries cleared.
    /// </summary>
    public long Clear(AddressRange range)
    {
        ThrowIfInUpdate();
        ValidateRange(range);
        if (range.IsEmpty || range.Start > _lastByte) return 0;
        var last = Math.Min(range.End - 1, _lastByte);
        var addr = range.Start;
        long cleared = 0;
        while (SeekLeaf(ref addr, last, _scratchPath) is { } leaf)
        {
            var leafLast = Math.Min(leaf.LastAddr, last);
            var i0 = LeafIndex(addr);
            var span = leaf.Entries.AsSpan(i0, LeafIndex(leafLast) - i0 + 1);
            var n = span.Length - span.Count(0UL);
            if (n != 0)
            {
                span.Clear();
                leaf.RefCount -= n;
                _validEntries -= n;
                cleared += n;
            }
            if (Policy == HmmPtReclaimPolicy.Eager && leaf.RefCount == 0) UnlinkEmpty(leaf);
            if (leafLast >= last) break;
            addr = leafLast + 1;
        }
        FreeDeadDirectories();
        return cleared;
    }

    /// <summary>
    /// Rewrites every valid entry the range overlaps with <paramref name="update"/> (WRITE_PROTECT
    /// is <c>pte =&gt; pte.WithWrite(false)</c>). Returning an invalid entry clears the slot and
    /// drops the refcount as <see cref="Clear"/> does. Returns the number of entries changed.
    /// The callback must not change the table (<see cref="InvalidOperationException"/>).
    /// </summary>
    public long Update(AddressRange range, Func<HmmPte, HmmPte> update)
    {
        ThrowIfInUpdate();
        ValidateRange(range);
        ArgumentNullException.ThrowIfNull(update);
        if (range.IsEmpty || range.Start > _lastByte) return 0;
        var last = Math.Min(range.End - 1, _lastByte);
        var path = new HmmPtDirectory?[_geometry.LevelCount];
        var addr = range.Start;
        long changed = 0;
        _inUpdate = true;
        try
        {
            while (SeekLeaf(ref addr, last, path) is { } leaf)
            {
                var leafLast = Math.Min(leaf.LastAddr, last);
                var entries = leaf.Entries!;
                for (int i = LeafIndex(addr), end = LeafIndex(leafLast); i <= end; i++)
                {
                    var raw = entries[i];
                    if (raw == 0) continue;
                    var next = update(HmmPte.FromRaw(raw));
                    if (next.Raw == raw) continue;
                    changed++;
                    if (next.IsValid)
                    {
                        entries[i] = next.Raw;
                        continue;
                    }
                    entries[i] = 0;
                    leaf.RefCount--;
                    _validEntries--;
                }
                if (Policy == HmmPtReclaimPolicy.Eager && leaf.RefCount == 0) UnlinkEmpty(leaf);
                if (leafLast >= last) break;
                addr = leafLast + 1;
            }
        }
        finally
        {
            _inUpdate = false;
        }
        FreeDeadDirectories();
        return changed;
    }

    /// <summary>
    /// Unlinks every empty directory that overlaps the range, deepest first, so a parent left
    /// empty by its children goes too (free_pgd_range on munmap; the review's "keep the HMM page
    /// tables around until the actual munmap()"). The root stays. Returns the number of
    /// directories unlinked; they are freed once no walker that began before can hold them.
    /// </summary>
    public long Reclaim(AddressRange range)
    {
        ThrowIfInUpdate();
        ValidateRange(range);
        if (range.IsEmpty || range.Start > _lastByte) return 0;
        var reclaimed = ReclaimUnder(_root, range.Start, Math.Min(range.End - 1, _lastByte));
        FreeDeadDirectories();
        return reclaimed;
    }

    private long ReclaimUnder(HmmPtDirectory dir, ulong lo, ulong hi)
    {
        if (dir.Level == _lastLevel) return 0;
        var shift = _shifts[dir.Level];
        var i0 = (int)((Math.Max(lo, dir.Base) - dir.Base) >> shift);
        var i1 = (int)((Math.Min(hi, dir.LastAddr) - dir.Base) >> shift);
        var children = dir.Children!;
        long reclaimed = 0;
        for (var i = i0; i <= i1; i++)
        {
            if (children[i] is not { } child) continue;
            reclaimed += ReclaimUnder(child, lo, hi);
            if (child.RefCount != 0) continue;
            Unlink(child);
            reclaimed++;
        }
        return reclaimed;
    }

    // Set(addr, Empty): clears one slot if it holds an entry.
    private void ClearOne(ulong addr)
    {
        if (addr > _lastByte) return;
        var leaf = CachedLeaf(addr) ?? FindLeaf(addr);
        if (leaf is null) return;
        ref var slot = ref leaf.Entries![LeafIndex(addr)];
        if (slot == 0) return;
        slot = 0;
        leaf.RefCount--;
        _validEntries--;
        if (Policy != HmmPtReclaimPolicy.Eager || leaf.RefCount != 0) return;
        UnlinkEmpty(leaf);
        FreeDeadDirectories();
    }

    // hmm_pt_iter_directory_unref_safe(): unlink an empty directory, drop its parent's
    // refcount, and continue upward while parents empty. The root is never unlinked.
    private void UnlinkEmpty(HmmPtDirectory dir)
    {
        while (dir.RefCount == 0 && dir.Parent is { } parent)
        {
            Unlink(dir);
            dir = parent;
        }
    }

    // Clears the parent's entry (the kernel checks it still points at this directory; here the
    // table has one writer, so it always does) and queues the directory on the dead list, marked
    // with the newest walker sequence: walkers up to that mark may still hold it.
    private void Unlink(HmmPtDirectory dir)
    {
        var parent = dir.Parent!;
        parent.Children![dir.ParentIndex] = null;
        parent.RefCount--;
        dir.Parent = null;
        dir.State = HmmPtDirectoryState.Dead;
        dir.DeathMark = _walkSeq;
        _dead.Enqueue(dir);
        if (ReferenceEquals(_cachedLeaf, dir)) _cachedLeaf = null;
    }
}
