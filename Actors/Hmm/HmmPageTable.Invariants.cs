using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

// The oracle's view of the table: what must hold after every step, checked from scratch.
public sealed partial class HmmPageTable
{
    /// <summary>
    /// Checks the table's invariants and returns one message per violation (empty when sound):
    /// <list type="bullet">
    /// <item>every linked directory's refcount equals its number of valid entries, and its
    /// parent link, level and span match its place in the tree;</item>
    /// <item>leaf entries are 0 or well-formed valid entries;</item>
    /// <item>no directory reachable from the root is dead or freed, and no active walker holds a
    /// freed directory;</item>
    /// <item>no directory was freed while it still had valid entries;</item>
    /// <item>the counters agree with the tree (linked + dead directories, valid entries).</item>
    /// </list>
    /// </summary>
    public IReadOnlyList<string> CheckInvariants()
    {
        var violations = new List<string>(_freeViolations);
        long linked = 0;
        long entries = 0;
        CheckDirectory(_root, null, 0, _root.Base, violations, ref linked, ref entries);

        foreach (var dir in _dead)
        {
            if (dir.State != HmmPtDirectoryState.Dead)
                violations.Add($"{dir} is on the dead list but not dead");
            else if (CountValid(dir) != 0)
                violations.Add($"{dir} was unlinked with {CountValid(dir)} valid entries");
        }
        foreach (var walker in _walkers)
            foreach (var dir in walker.Directories)
                if (dir is { State: HmmPtDirectoryState.Freed })
                    violations.Add($"walker {walker.Sequence} holds freed {dir}");

        if (linked + _dead.Count != Live)
            violations.Add($"counters say {Live} directories live but {linked} are linked and {_dead.Count} dead");
        if (entries != _validEntries)
            violations.Add($"counters say {_validEntries} valid entries but the leaves hold {entries}");
        return violations;
    }

    private void CheckDirectory(HmmPtDirectory dir, HmmPtDirectory? parent, int parentIndex, ulong expectedBase,
        List<string> violations, ref long linked, ref long entries)
    {
        if (dir.State != HmmPtDirectoryState.Linked)
        {
            violations.Add($"{dir} is reachable from the root");
            return;
        }
        if (parent is not null)
        {
            linked++;
            if (!ReferenceEquals(dir.Parent, parent) || dir.ParentIndex != parentIndex)
                violations.Add($"{dir} does not point back at its parent slot {parentIndex}");
            if (dir.Level != parent.Level + 1 || dir.Base != expectedBase)
                violations.Add($"{dir} sits at level {parent.Level + 1} base {Describe(expectedBase)}");
        }
        var valid = 0;
        if (dir.Level == _lastLevel)
        {
            if (dir.Entries is not { } slots)
            {
                violations.Add($"{dir} is a leaf without entries");
                return;
            }
            foreach (var raw in slots)
            {
                if (raw == 0) continue;
                if (!HmmPte.FromRaw(raw).IsWellFormed || !HmmPte.FromRaw(raw).IsValid)
                    violations.Add($"{dir} holds a malformed entry {Describe(raw)}");
                valid++;
            }
            entries += valid;
        }
        else
        {
            if (dir.Children is not { } children)
            {
                violations.Add($"{dir} is an upper directory without children");
                return;
            }
            var shift = _shifts[dir.Level];
            for (var i = 0; i < children.Length; i++)
            {
                if (children[i] is not { } child) continue;
                valid++;
                CheckDirectory(child, dir, i, dir.Base + ((ulong)i << shift), violations, ref linked, ref entries);
            }
        }
        if (dir.RefCount != valid)
            violations.Add($"{dir} has refcount {dir.RefCount} but {valid} valid entries");
    }

    private static string Describe(ulong value) => AddressFormat.Hex(value);

    // Test hooks: corrupt the table on purpose so tests can see CheckInvariants catch it.

    /// <summary>Adds <paramref name="delta"/> to the refcount of the directory at <paramref name="level"/> on the path to <paramref name="addr"/>.</summary>
    internal void TestHookCorruptRefCount(ulong addr, int level, int delta)
    {
        var path = new HmmPtDirectory?[_geometry.LevelCount];
        WalkPath(addr, path);
        (path[level] ?? throw new InvalidOperationException("no directory there")).RefCount += delta;
    }

    /// <summary>Writes a raw leaf value without touching the refcount (the leaf must exist).</summary>
    internal void TestHookWriteRaw(ulong addr, ulong raw)
    {
        var leaf = FindLeaf(addr) ?? throw new InvalidOperationException("no leaf there");
        leaf.Entries![LeafIndex(addr)] = raw;
    }

    /// <summary>Frees the directory at <paramref name="level"/> on the path to <paramref name="addr"/> while it is still linked.</summary>
    internal void TestHookFreeLinked(ulong addr, int level)
    {
        var path = new HmmPtDirectory?[_geometry.LevelCount];
        WalkPath(addr, path);
        FreeDirectory(path[level] ?? throw new InvalidOperationException("no directory there"));
        _cachedLeaf = null;
    }
}
