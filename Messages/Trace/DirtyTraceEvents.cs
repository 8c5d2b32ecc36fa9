using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of dirty tracking (seed 004). With DeviceDma (device writes) and IovaUnmapped they
// let an oracle check that every device write while tracking is on is reported by exactly one
// read-and-clear: the hardware's dirty bits are shadowed from IoPteDirtied (set) and
// DirtyBitsRead (read, and cleared), a clearing read stays "in flight" until DirtyReadSynced (a
// write through a stale cached translation before the sync belongs to that read), and
// DirtyBitmapReported is what the caller got.

/// <summary>A device write walked to the clean leaf <paramref name="Leaf"/> with dirty tracking on and set its IOPTE dirty bit.</summary>
public sealed record IoPteDirtied(IActorRef Domain, AddressRange Leaf) : ITraceEvent;

/// <summary>
/// set_dirty_tracking on <paramref name="Domain"/>: published when the domain switched (with
/// <paramref name="Synced"/> false: enabling cleared every dirty bit first) and again when the
/// IOTLB sync that follows completed (true): from then on every device write sets a dirty bit.
/// </summary>
public sealed record DirtyTrackingChanged(IActorRef Domain, bool Enabled, bool Synced) : ITraceEvent;

/// <summary>
/// One read-and-clear on <paramref name="Domain"/>: the dirty leaves it found in
/// <paramref name="Range"/>, in IOVA order, cleared unless <paramref name="Cleared"/> is false
/// (NO_CLEAR). <paramref name="Sequence"/> numbers the domain's reads; <paramref name="Tag"/> ties
/// it to the <see cref="DirtyBitmapReported"/> of the same request (0: none follows).
/// </summary>
public sealed record DirtyBitsRead(IActorRef Domain, long Sequence, long Tag, AddressRange Range, bool Cleared, IReadOnlyList<AddressRange> Leaves) : ITraceEvent;

/// <summary>The IOTLB sync after the clearing read <paramref name="Sequence"/> completed: no cached translation still claims those leaves dirty.</summary>
public sealed record DirtyReadSynced(IActorRef Domain, long Sequence) : ITraceEvent;

/// <summary>
/// The bitmap a read-and-clear request returned to its caller, as the IOVA runs of its set bits
/// (<paramref name="Dirty"/>, at <paramref name="PageSize"/> granularity, clamped to
/// <paramref name="Range"/>). <paramref name="Tag"/> matches the <see cref="DirtyBitsRead"/> events of the request.
/// </summary>
public sealed record DirtyBitmapReported(IActorRef Reader, long Tag, AddressRange Range, ulong PageSize, IReadOnlyList<AddressRange> Dirty) : ITraceEvent;
