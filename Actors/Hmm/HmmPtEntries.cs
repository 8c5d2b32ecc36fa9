using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// The valid entries of a range of an <see cref="HmmPageTable"/>, for foreach. Each
/// enumeration begins its own walker; the enumerator's Dispose (which foreach calls) ends it.
/// </summary>
public readonly struct HmmPtEntries
{
    private readonly HmmPageTable _table;
    private readonly AddressRange _range;

    internal HmmPtEntries(HmmPageTable table, AddressRange range)
    {
        _table = table;
        _range = range;
    }

    public HmmPtEntryEnumerator GetEnumerator() => new(_table, _range);
}

/// <summary>
/// Enumerator of <see cref="HmmPtEntries"/>: no allocation per entry. Survives changes to the
/// table between steps: if the leaf it is in was unlinked, it finds its place again from the
/// root, so it sees entries added ahead of it and never reads a freed directory.
/// </summary>
public struct HmmPtEntryEnumerator : IDisposable
{
    private readonly HmmPageTable _table;
    private readonly HmmPtWalker _walker;
    private readonly ulong _last;
    private readonly int _granuleShift;
    private HmmPtDirectory? _leaf;
    private ulong _next;
    private bool _done;

    internal HmmPtEntryEnumerator(HmmPageTable table, AddressRange range)
    {
        _table = table;
        _walker = table.BeginWalk();
        _granuleShift = table.Geometry.GranuleShift;
        _next = range.Start & ~((1UL << _granuleShift) - 1);
        _done = !table.ClipToTable(range, out _last);
        _leaf = null;
        Current = default;
    }

    public HmmPtEntry Current { get; private set; }

    public bool MoveNext()
    {
        while (!_done)
        {
            var leaf = _leaf;
            // Seek again when the previous step ended on the leaf's last slot, or when the leaf
            // was unlinked since (entries may have been added elsewhere meanwhile).
            if (leaf is null || leaf.State != HmmPtDirectoryState.Linked || _next > leaf.LastAddr)
            {
                leaf = _table.SeekLeaf(ref _next, _last, _walker.Directories);
                if (leaf is null)
                {
                    _done = true;
                    return false;
                }
                _leaf = leaf;
            }
            var leafLast = Math.Min(leaf.LastAddr, _last);
            var i0 = _table.LeafSlot(_next);
            var span = leaf.Entries.AsSpan(i0, _table.LeafSlot(leafLast) - i0 + 1);
            var found = span.IndexOfAnyExcept(0UL);
            if (found >= 0)
            {
                var addr = _next + ((ulong)found << _granuleShift);
                Current = new HmmPtEntry(addr, HmmPte.FromRaw(span[found]));
                if (addr >= (_last & ~((1UL << _granuleShift) - 1))) _done = true;
                else _next = addr + (1UL << _granuleShift);
                return true;
            }
            if (leafLast >= _last)
            {
                _done = true;
                return false;
            }
            _next = leafLast + 1;
            _leaf = null;
        }
        return false;
    }

    public void Dispose() => _walker.Dispose();
}
