namespace IommuSim.Messages.Hmm;

// Requests a mirror (the dmirror driver of lib/test_hmm.c) makes of its mm besides RangeFault:
// migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize to and from device-private
// memory, make_device_exclusive, and hmm_range_fault without HMM_PFN_REQ_FAULT (the snapshot).
// The mm knows each registered mirror's device, which is the dev_private_owner / pgmap_owner:
// a device-private pool is registered under the device's name (PhysicalMemory.AddDevicePool).

/// <summary>
/// HMM_DMIRROR_MIGRATE_TO_DEV's mm side (dmirror_migrate_to_device): every page of the range
/// moves to the requesting device's private memory, under one MIGRATE invalidation. Errors:
/// EINVAL for a misaligned, empty or wrapping range, or a page without a VMA or without read
/// permission (vma_lookup / VM_READ); ENOENT if a page cannot be migrated to this device (a
/// shared mapping, a page on another device, a copy-on-write page with other users), ENOMEM
/// when the device memory is short. An error migrates nothing. Reply: <see cref="MigrateReply"/>.
/// </summary>
public sealed record MigrateToDevice(AddressRange Range);

/// <summary>
/// HMM_DMIRROR_MIGRATE_TO_SYS's mm side (dmirror_migrate_to_system): the requesting device's
/// private pages in the range move back to system memory. EINVAL as <see cref="MigrateToDevice"/>.
/// Reply: <see cref="MigrateReply"/>.
/// </summary>
public sealed record MigrateToSystem(AddressRange Range);

/// <summary>
/// dmirror_device_evict_chunk's mm side (HMM_DMIRROR_RELEASE; migrate_device_range): every page
/// of the requesting device's memory that this mm maps comes back to system memory.
/// Reply: <see cref="MigrateReply"/>.
/// </summary>
public sealed record EvictDeviceMemory;

/// <summary>
/// The result of a migration: how many pages moved, the (even) sequence after the migration,
/// and for <see cref="MigrateToDevice"/> each page of the range that now lives in the requesting
/// device's memory (null for the others), which the device maps (dmirror_migrate_finalize_and_map).
/// </summary>
public sealed record MigrateReply(Errno Errno, long Sequence, long MigratedPages, IReadOnlyList<HmmPfn?> Pages) : IReply;

/// <summary>
/// make_device_exclusive() for every page of the range (HMM_DMIRROR_EXCLUSIVE): the pages are
/// faulted in for write (copy-on-write broken, device pages brought back), every other device
/// mapping is invalidated, and the CPU page-table entries become device-exclusive entries owned by
/// the requesting mirror; the next CPU access restores them after invalidating the owner's
/// mapping. EFAULT for a page without a VMA or without read and write permission (the FOLL_WRITE
/// lookup fails). Reply: <see cref="RangeFaultReply"/> with the (writable) pages to map atomically.
/// </summary>
public sealed record MakeDeviceExclusive(AddressRange Range);

/// <summary>
/// hmm_range_fault() without HMM_PFN_REQ_FAULT, as dmirror_range_snapshot() calls it: the state of
/// each page without faulting anything in. Device-private pages of another device are reported
/// as not valid, as hmm_range_fault does for a dev_private_owner that does not match.
/// Reply: <see cref="RangeSnapshotReply"/>.
/// </summary>
public sealed record RangeSnapshot(AddressRange Range);

/// <summary>What hmm_range_fault() reports for one page without faulting.</summary>
public enum HmmPfnState
{
    /// <summary>HMM_PFN_ERROR: no VMA, or a VMA without read permission.</summary>
    Error,

    /// <summary>Not HMM_PFN_VALID: nothing mapped (pte_none), or a page the caller may not see (another device's private page, a device-exclusive entry).</summary>
    None,

    /// <summary>HMM_PFN_VALID: <see cref="HmmPfnSnapshot.Page"/> holds the page.</summary>
    Valid,
}

/// <summary>One page of a snapshot; <see cref="IsZeroPage"/> is is_zero_pfn().</summary>
public readonly record struct HmmPfnSnapshot(HmmPfnState State, HmmPfn Page, bool IsZeroPage = false);

public sealed record RangeSnapshotReply(Errno Errno, long Sequence, IReadOnlyList<HmmPfnSnapshot> Pages) : IReply;
