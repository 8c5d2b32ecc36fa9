namespace IommuSim.Actors.Oracle;

// The oracle as one of the scenario runner's invariant checkers (IInvariantOracle): each
// DmaViolation becomes an InvariantViolation naming the device, the page, the address or IOVA and
// the invalidation; at teardown every invalidation that started must have ended.
public sealed partial class DmaSafetyOracle : IInvariantOracle
{
    /// <summary>The invariant's name in reports.</summary>
    public const string InvariantName = "no-dma-after-invalidation";

    private readonly List<InvariantViolation> _teardown = [];

    string IInvariantOracle.Invariant => InvariantName;

    IReadOnlyList<InvariantViolation> IInvariantOracle.Violations
    {
        get
        {
            lock (_lock)
            {
                if (_violations.Count == 0 && _teardown.Count == 0) return [];
                return [.. _violations.Select(ToInvariant), .. _teardown];
            }
        }
    }

    /// <summary>How many violations so far (cheap: no copy), for a runner that polls after every step.</summary>
    public int ViolationCount
    {
        get
        {
            lock (_lock) return _violations.Count + _teardown.Count;
        }
    }

    /// <summary>mmu_notifier_invalidate_range_end must follow every _start: an invalidation still running at teardown never completed.</summary>
    public void CheckTeardown()
    {
        lock (_lock)
        {
            foreach (var (mm, history) in _mms)
                foreach (var (sequence, ranges) in history.Running)
                    _teardown.Add(new InvariantViolation(InvariantName,
                        $"the invalidation (seq {sequence}) of [{string.Join(", ", ranges)}] by {mm.Path.Name} never completed",
                        [mm.Path.Name], [], [.. _recent]));
        }
    }

    private static InvariantViolation ToInvariant(DmaViolation v)
    {
        var pages = new List<string> { v.Pfn.ToString() };
        if (v.Iova is { } iova) pages.Add("iova " + iova);
        else pages.Add("va " + v.Address);
        var actors = new List<string> { v.Device };
        if (v.Invalidation is { } inv) actors.Add(inv);
        else if (v.InvalidationSequence is { } seq) actors.Add($"invalidation seq {seq}");
        return new InvariantViolation(InvariantName, v.Message, actors, pages, v.RecentEvents);
    }
}
