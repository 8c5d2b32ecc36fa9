using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>The leaf directories of a range of an <see cref="HmmPageTable"/>, for foreach (one walker per enumeration).</summary>
public readonly struct HmmPtLeaves
{
    private readonly HmmPageTable _table;
    private readonly AddressRange _range;

    internal HmmPtLeaves(HmmPageTable table, AddressRange range)
    {
        _table = table;
        _range = range;
    }

    public HmmPtLeafEnumerator GetEnumerator() => new(_table, _range);
}

/// <summary>Enumerator of <see cref="HmmPtLeaves"/>; Dispose ends its walker.</summary>
public struct HmmPtLeafEnumerator : IDisposable
{
    private readonly HmmPageTable _table;
    private readonly HmmPtWalker _walker;
    private readonly ulong _last;
    private readonly int _granuleShift;
    private ulong _next;
    private bool _done;

    internal HmmPtLeafEnumerator(HmmPageTable table, AddressRange range)
    {
        _table = table;
        _walker = table.BeginWalk();
        _granuleShift = table.Geometry.GranuleShift;
        _next = range.Start;
        _done = !table.ClipToTable(range, out _last);
        Current = default;
    }

    public HmmPtLeaf Current { get; private set; }

    public bool MoveNext()
    {
        if (_done) return false;
        var leaf = _table.SeekLeaf(ref _next, _last, _walker.Directories);
        if (leaf is null)
        {
            _done = true;
            return false;
        }
        Current = new HmmPtLeaf(leaf, _granuleShift);
        if (leaf.LastAddr >= _last) _done = true;
        else _next = leaf.LastAddr + 1;
        return true;
    }

    public void Dispose() => _walker.Dispose();
}
