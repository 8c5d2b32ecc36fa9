using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

// Walking a range: valid entries in address order, and leaf directories one by one (what
// hmm_update's "for each pte directory" loop and hmm_domain's per-directory mapping need).
public sealed partial class HmmPageTable
{
    /// <summary>
    /// The valid entries the range overlaps, in address order. Each enumeration registers a
    /// walker for its duration (foreach disposes it), so the caller may clear entries as it goes:
    /// directories emptied meanwhile are unlinked but not freed before the enumeration ends.
    /// Missing directories are skipped whole, never page by page.
    /// </summary>
    public HmmPtEntries Entries(AddressRange range)
    {
        ValidateRange(range);
        return new HmmPtEntries(this, range);
    }

    /// <summary>
    /// The linked leaf directories the range overlaps, in address order, including empty ones
    /// kept by <see cref="HmmPtReclaimPolicy.OnMunmap"/>. Registers a walker for the enumeration.
    /// </summary>
    public HmmPtLeaves LeafDirectories(AddressRange range)
    {
        ValidateRange(range);
        return new HmmPtLeaves(this, range);
    }

    /// <summary>The last address of the range inside the table, or false if none of it is.</summary>
    internal bool ClipToTable(AddressRange range, out ulong last)
    {
        last = 0;
        if (range.IsEmpty || range.Start > _lastByte) return false;
        last = Math.Min(range.End - 1, _lastByte);
        return true;
    }

    /// <summary>
    /// Finds the first linked leaf at or after <paramref name="addr"/> that starts at or before
    /// <paramref name="last"/>, recording the directories on the way in <paramref name="path"/>
    /// (path[level]). Moves <paramref name="addr"/> up to the leaf's base when the leaf starts
    /// later. A missing child is skipped as one slot of its parent, and an exhausted directory
    /// resumes in its parent, so the cost is the number of directory slots looked at, not pages.
    /// </summary>
    internal HmmPtDirectory? SeekLeaf(ref ulong addr, ulong last, HmmPtDirectory?[] path)
    {
        var a = addr;
        var dir = _root;
        var level = 0;
        path[0] = dir;
        while (true)
        {
            if (level == _lastLevel)
            {
                addr = a;
                return dir;
            }
            var shift = _shifts[level];
            var children = dir.Children!;
            var i = (int)((a - dir.Base) >> shift);
            var j = i;
            while (j < children.Length && children[j] is null) j++;
            if (j < children.Length)
            {
                if (j != i)
                {
                    a = dir.Base + ((ulong)j << shift);
                    if (a > last) return null;
                }
                dir = children[j]!;
                path[++level] = dir;
                continue;
            }
            // Nothing left in this directory: resume just past it, in its parent.
            if (level == 0 || dir.LastAddr >= last) return null;
            a = dir.LastAddr + 1;
            dir = path[--level]!;
        }
    }
}
