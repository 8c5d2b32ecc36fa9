using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events, published on the actor system's EventStream so that an oracle can check
// DESIGN.md's invariants while a run goes on. Publishers check EventStream.HasSubscribers once
// per operation, so a run that nobody observes builds no events.

/// <summary>Marks every trace event; subscribe to this type to see them all.</summary>
public interface ITraceEvent;

/// <summary>One range of an invalidation and why it is invalidated.</summary>
public readonly record struct InvalidationRange(AddressRange Range, InvalidationEvent Event)
{
    public override string ToString() => $"{Event} {Range}";
}

/// <summary>
/// A device accessed a page through a mapping its mirror committed. <paramref name="MappedGeneration"/>
/// is the page's generation when the mm handed it out (PhysicalMemory.PageGeneration),
/// <paramref name="Generation"/> and <paramref name="PageLive"/> are the page's state at the access:
/// a safe access finds the same generation on a live page. <paramref name="MapSequence"/> is the
/// mm sequence the mapping was read under; an invalidation of the address with a later sequence
/// that has completed must have removed the mapping first.
/// </summary>
public sealed record DmaAccess(
    string Device,
    IActorRef Mm,
    VirtAddr Address,
    Pfn Pfn,
    Iova? Iova,
    int MappedGeneration,
    int Generation,
    bool PageLive,
    bool Write,
    long MapSequence) : ITraceEvent;

/// <summary>The mm dropped the last reference of a page (put_page freed it).</summary>
public sealed record PageFreed(IActorRef Mm, Pfn Pfn, int Generation) : ITraceEvent;

/// <summary>mmu_notifier_invalidate_range_start: the sequence became odd and every mirror and HMM domain was told.</summary>
public sealed record InvalidationStarted(IActorRef Mm, IReadOnlyList<InvalidationRange> Ranges, long Sequence, int Receivers) : ITraceEvent;

/// <summary>mmu_notifier_invalidate_range_end: every fence arrived, the CPU pages were changed or freed, the sequence is even again.</summary>
public sealed record InvalidationEnded(IActorRef Mm, IReadOnlyList<InvalidationRange> Ranges, long Sequence) : ITraceEvent;

/// <summary>The mm received a fence for the invalidation of that sequence.</summary>
public sealed record FenceReceived(IActorRef Mm, IActorRef From, long Sequence) : ITraceEvent;

/// <summary>A mirror committed the pages of a device fault into its device page table.</summary>
public sealed record MirrorCommitted(string Device, IActorRef Mm, AddressRange Range, long ReadSequence, bool SequenceChecked) : ITraceEvent;
