using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Messages.Hmm;

// The HMM protocol between an mm, its mirrors and its HMM domains (DESIGN.md protocols 1 and 2;
// mm/hmm.c, mm/mmu_notifier.c, seed 000).

/// <summary>
/// hmm_mirror_register: a device mirrors this mm. A device may mirror an mm only once (-EINVAL).
/// A device behind an IOMMU domain (<paramref name="IommuDomain"/> not null) joins the mm's HMM
/// domain for that IOMMU domain, created on first use (hmm_add_mirror). Reply: <see cref="MirrorRegistered"/>.
/// </summary>
public sealed record RegisterMirror(IActorRef Mirror, string DeviceName, IActorRef? IommuDomain);

/// <summary>The HMM domain the mirror shares DMA mappings through (null without an IOMMU domain), and the mm's current sequence.</summary>
public sealed record MirrorRegistered(Errno Errno, IActorRef? HmmDomain, long Sequence) : IReply;

/// <summary>hmm_mirror_unregister; the last mirror of an HMM domain frees it with everything unmapped. Reply: <see cref="Done"/>.</summary>
public sealed record UnregisterMirror(IActorRef Mirror);

/// <summary>
/// mmu_interval_notifier invalidate: sent by the mm to every mirror, HMM domain and SVA domain
/// with the (odd) sequence of the invalidation that is running. The receiver removes or
/// downgrades its mappings of the range, makes sure no device can use them any more (device
/// TLB, IOTLB flushed and synced), and only then answers <see cref="InvalidationFence"/>.
/// </summary>
public sealed record MmuInvalidate(AddressRange Range, InvalidationEvent Event, long Sequence);

/// <summary>The receiver has finished <see cref="MmuInvalidate"/> of that sequence.</summary>
public sealed record InvalidationFence(long Sequence);

/// <summary>
/// hmm_range_fault: a mirror asks the mm for the pages of a range, faulting them in
/// (<paramref name="Write"/> also breaks copy-on-write). Reply: <see cref="RangeFaultReply"/>;
/// errors as hmm-tests.c expects: no VMA or no read permission -EFAULT, write to read-only -EPERM.
/// </summary>
public sealed record RangeFault(AddressRange Range, bool Write);

/// <summary>
/// The pages of the range (one per 4 KiB page, in order) and the sequence they were read under
/// (even). The mirror may commit them only if no invalidation of an overlapping range started
/// since (mmu_interval_read_retry); otherwise it retries.
/// </summary>
public sealed record RangeFaultReply(Errno Errno, long Sequence, IReadOnlyList<HmmPfn> Pages) : IReply;

/// <summary>One page of a fault: the frame, whether the device may write it, and whether it is device-private memory (and whose).</summary>
public readonly record struct HmmPfn(Pfn Pfn, bool Write, string? DevicePrivateOwner = null)
{
    public bool IsDevicePrivate => DevicePrivateOwner != null;
}
