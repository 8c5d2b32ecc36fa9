namespace IommuSim.Messages.Hmm;

// The requests of lib/test_hmm.c's dmirror device (the ioctls of lib/test_hmm_uapi.h), sent to
// an HmmMirrorActor. Each names a user address and a page count as struct hmm_dmirror_cmd does
// (addr, npages); each is answered with exactly one reply. Common errors, as
// dmirror_fops_unlocked_ioctl checks them: EINVAL for an address that is not page aligned, zero
// pages, or a range that wraps.

/// <summary>HMM_DMIRROR_READ: the device reads each page (one 64-bit value per page), faulting missing pages in. Reply: <see cref="MirrorCmdReply"/> with the values.</summary>
public sealed record MirrorRead(VirtAddr Address, ulong Pages);

/// <summary>HMM_DMIRROR_WRITE: the device writes one value per page, faulting pages in for write (EPERM on read-only memory); nothing is written unless every page is writable. Reply: <see cref="MirrorCmdReply"/>.</summary>
public sealed record MirrorWrite(VirtAddr Address, IReadOnlyList<ulong> Values);

/// <summary>HMM_DMIRROR_MIGRATE_TO_DEV: migrates the range to the device's private memory, then reads it back (ENOENT if a page did not end up on this device). Reply: <see cref="MirrorCmdReply"/> with the values.</summary>
public sealed record MirrorMigrateToDevice(VirtAddr Address, ulong Pages);

/// <summary>HMM_DMIRROR_MIGRATE_TO_SYS: migrates this device's pages of the range back to system memory. Reply: <see cref="MirrorCmdReply"/> (CPages = pages migrated).</summary>
public sealed record MirrorMigrateToSystem(VirtAddr Address, ulong Pages);

/// <summary>
/// HMM_DMIRROR_RELEASE: the device gives up its private memory (dmirror_device_remove_chunks):
/// every page of it the mm maps migrates back to system memory. Reply: <see cref="MirrorCmdReply"/>
/// (CPages = pages migrated back).
/// </summary>
public sealed record MirrorRelease;

/// <summary>HMM_DMIRROR_SNAPSHOT: one byte per page in the <see cref="HmmDmirrorProt"/> encoding, without faulting. Reply: <see cref="MirrorSnapshotReply"/>.</summary>
public sealed record MirrorSnapshot(VirtAddr Address, ulong Pages);

/// <summary>HMM_DMIRROR_EXCLUSIVE: maps the range for exclusive (atomic) device access, then reads it back. Reply: <see cref="MirrorCmdReply"/> with the values.</summary>
public sealed record MirrorExclusive(VirtAddr Address, ulong Pages);

/// <summary>HMM_DMIRROR_CHECK_EXCLUSIVE: EPERM while any page of the range is still mapped for atomic access. Reply: <see cref="Done"/>.</summary>
public sealed record MirrorCheckExclusive(VirtAddr Address, ulong Pages);

/// <summary>
/// The result of a dmirror command: hmm_dmirror_cmd's cpages (pages copied, migrated or
/// snapshotted) and faults (rounds of dmirror_fault), and the values the device read (empty for
/// commands that return none, and on an error).
/// </summary>
public sealed record MirrorCmdReply(Errno Errno, ulong CPages, ulong Faults, IReadOnlyList<ulong> Values) : IReply;

/// <summary>The snapshot bytes, one per page (<see cref="HmmDmirrorProt"/>).</summary>
public sealed record MirrorSnapshotReply(Errno Errno, ulong CPages, IReadOnlyList<byte> Prot) : IReply;

/// <summary>Asks a mirror for its counters. Reply: <see cref="MirrorStats"/>.</summary>
public sealed record GetMirrorStats;

/// <param name="Registration">The errno of the mirror's registration with its mm (EINVAL for a device that already mirrors it).</param>
/// <param name="FaultRounds">dmirror_fault calls (hmm_dmirror_cmd.faults summed).</param>
/// <param name="RangeFaults">RangeFault requests sent to the mm (hmm_range_fault calls, retries included).</param>
/// <param name="Retries">Faults redone because an overlapping invalidation arrived before the commit (mmu_interval_read_retry true).</param>
/// <param name="PagesCopied">Pages the device read or wrote.</param>
/// <param name="MappedPages">Valid entries in the device page table.</param>
/// <param name="Invalidations">MmuInvalidate messages handled (each answered with a fence).</param>
/// <param name="DirectoryMaps">MapDirectory requests sent to the HMM domain.</param>
public sealed record MirrorStats(
    Errno Errno,
    Errno Registration,
    long FaultRounds,
    long RangeFaults,
    long Retries,
    long PagesCopied,
    long MappedPages,
    long Invalidations,
    long DirectoryMaps) : IReply
{
    /// <summary>Directory pages the device page table allocated since the mirror was made (seed 001's hmm_pt directories; the root is not counted).</summary>
    public long TableDirectoriesAllocated { get; init; }

    /// <summary>Directory pages it freed.</summary>
    public long TableDirectoriesFreed { get; init; }

    /// <summary>Directory pages it holds now (linked, or dead and waiting for their walkers).</summary>
    public long TableDirectoriesLive => TableDirectoriesAllocated - TableDirectoriesFreed;
}

/// <summary>
/// The snapshot encoding of lib/test_hmm_uapi.h (HMM_DMIRROR_PROT_*), as dmirror_mkentry builds
/// it: ERROR for no VMA or no read permission, NONE for nothing mapped, then the kind of page
/// (ZERO, device-private LOCAL / REMOTE) or'ed with READ or WRITE.
/// </summary>
public static class HmmDmirrorProt
{
    public const byte Error = 0xFF;
    public const byte None = 0x00;
    public const byte Read = 0x01;
    public const byte Write = 0x02;
    public const byte Pmd = 0x04;
    public const byte Pud = 0x08;
    public const byte Zero = 0x10;
    public const byte DevPrivateLocal = 0x20;
    public const byte DevPrivateRemote = 0x30;
}
