using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Memory;

namespace IommuSim.Simulator.Oracles;

/// <summary>
/// The page accounting of physical memory as an invariant: no get, put, pin, read or write of a
/// free frame (PhysicalMemory counts each as a use after free), no page whose last reference went
/// while pinned, no unpin without a pin; and at teardown, once every process has exited, every
/// pin released and every page freed (refcounts back to zero).
/// </summary>
public sealed class MemoryOracle(PhysicalMemory memory) : IInvariantOracle
{
    public const string InvariantName = "memory-accounting";

    private readonly List<InvariantViolation> _teardown = [];

    public string Invariant => InvariantName;

    public IReadOnlyList<InvariantViolation> Violations
    {
        get
        {
            var c = memory.Counters;
            if (c.UseAfterFree == 0 && c.FreedWhilePinned == 0 && c.BadUnpins == 0 && _teardown.Count == 0) return [];
            var list = new List<InvariantViolation>();
            if (c.UseAfterFree > 0)
                list.Add(Violation($"{c.UseAfterFree} operations on freed frames (PhysicalMemory's use-after-free count)"));
            if (c.FreedWhilePinned > 0)
                list.Add(Violation($"{c.FreedWhilePinned} pages lost their last reference while pinned"));
            if (c.BadUnpins > 0)
                list.Add(Violation($"{c.BadUnpins} unpins of pages that had no pin"));
            list.AddRange(_teardown);
            return list;
        }
    }

    public void CheckTeardown()
    {
        var c = memory.Counters;
        if (c.Pinned != 0)
            _teardown.Add(Violation($"{c.Pinned} pins not released at teardown ({c.PinsAcquired} acquired, {c.PinsReleased} released)"));
        if (c.Live != 0)
            _teardown.Add(Violation($"{c.Live} pages still allocated at teardown, after every process exited ({c.Allocated} allocated, {c.Freed} freed)"));
    }

    private static InvariantViolation Violation(string message) => new(InvariantName, message, ["physical memory"], [], []);

    public void Dispose()
    {
    }
}
