using IommuSim.Messages;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// A set of addresses as disjoint, sorted half-open ranges, for oracles that shadow what a domain
/// maps. Not thread-safe: an oracle uses it under its own lock.
/// </summary>
public sealed class AddressRangeSet
{
    private readonly List<AddressRange> _ranges = [];

    public IReadOnlyList<AddressRange> Ranges => _ranges;

    public bool IsEmpty => _ranges.Count == 0;

    public void Add(AddressRange range)
    {
        if (range.IsEmpty) return;
        var start = range.Start;
        var end = range.End;
        // Every range that overlaps or touches the new one merges into it.
        _ranges.RemoveAll(r =>
        {
            if (r.End < start || r.Start > end) return false;
            start = Math.Min(start, r.Start);
            end = Math.Max(end, r.End);
            return true;
        });
        var index = _ranges.FindIndex(r => r.Start > start);
        _ranges.Insert(index < 0 ? _ranges.Count : index, new AddressRange(start, end));
    }

    public void Remove(AddressRange range)
    {
        if (range.IsEmpty) return;
        var kept = new List<AddressRange>();
        foreach (var r in _ranges)
        {
            if (!r.Overlaps(range))
            {
                kept.Add(r);
                continue;
            }
            if (r.Start < range.Start) kept.Add(new AddressRange(r.Start, range.Start));
            if (r.End > range.End) kept.Add(new AddressRange(range.End, r.End));
        }
        _ranges.Clear();
        _ranges.AddRange(kept);
    }

    /// <summary>Whether every address of <paramref name="range"/> is in the set.</summary>
    public bool Covers(AddressRange range) => range.IsEmpty || _ranges.Any(r => r.Contains(range));

    public bool Overlaps(AddressRange range) => _ranges.Any(r => r.Overlaps(range));
}
