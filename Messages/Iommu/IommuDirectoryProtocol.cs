using IommuSim.Messages;

namespace IommuSim.Messages.Iommu;

// The directory-at-once IOMMU API seed 000 adds for hmm_domain (iommu_domain_map_directory,
// iommu_domain_update_directory, iommu_domain_unmap_directory): a whole HMM-table leaf directory
// (512 pages, 2 MiB of address space) is mapped at one freshly allocated IOVA range, so every
// mirror of the HMM domain finds page i of the directory at IovaBase + i * 4 KiB. Each request
// that removes or downgrades a mapping flushes and syncs the IOTLB (and the device TLBs behind
// the unit) before it answers, as iommu_unmap does.

/// <summary>One page of a directory to map: the frame and the access the device gets.</summary>
public readonly record struct DirectoryPage(PhysAddr Phys, IommuProt Prot);

/// <summary>
/// iommu_domain_map_directory: allocate a directory-sized, directory-aligned IOVA range and map
/// every non-null page at its index (null leaves a hole). EINVAL for a list that is not one
/// directory long or holds no page; ENOSPC when the IOVA space is exhausted.
/// Reply: <see cref="IommuDirectoryMapped"/>.
/// </summary>
public sealed record IommuMapDirectory(IReadOnlyList<DirectoryPage?> Pages);

/// <summary>The IOVA of page 0 and the number of pages mapped (the refcount the HMM domain takes).</summary>
public sealed record IommuDirectoryMapped(Errno Errno, Iova IovaBase, int Mapped) : IReply;

/// <summary>
/// iommu_domain_update_directory: bring the mapped directory at <paramref name="IovaBase"/> up to
/// date with the non-null pages (null pages are left as they are: another mirror of the HMM domain
/// may rely on them). A page not mapped yet is mapped; a page mapped to another frame or with other
/// access is remapped, with an IOTLB flush and sync before the reply. EINVAL when no directory is
/// mapped at that IOVA. Reply: <see cref="IommuDirectoryUpdated"/>.
/// </summary>
public sealed record IommuUpdateDirectory(Iova IovaBase, IReadOnlyList<DirectoryPage?> Pages);

/// <summary><paramref name="Delta"/>: pages newly mapped (the refcount change of gpt_ptp_batch_ref).</summary>
public sealed record IommuDirectoryUpdated(Errno Errno, int Delta) : IReply;

/// <summary>Pages [FirstPage, FirstPage + Pages) of the directory mapped at <paramref name="IovaBase"/>.</summary>
public readonly record struct DirectorySlice(Iova IovaBase, int FirstPage, int Pages);

/// <summary>
/// iommu_domain_unmap_directory, for several directories and partial ones at once: unmap the
/// present pages of each slice (holes are skipped, unlike iommu_unmap which stops at the first
/// hole), flush and sync the IOTLB once for all, and free the IOVA range of every directory left
/// with no page mapped. Reply: <see cref="IommuDirectoriesUnmapped"/> (one result per slice).
/// </summary>
public sealed record IommuUnmapDirectories(IReadOnlyList<DirectorySlice> Slices);

/// <summary>Pages unmapped from a slice, and whether its directory's IOVA range was freed (nothing left mapped).</summary>
public readonly record struct DirectoryUnmapResult(int Unmapped, bool Released);

public sealed record IommuDirectoriesUnmapped(Errno Errno, IReadOnlyList<DirectoryUnmapResult> Results) : IReply;

/// <summary>
/// The WRITE_PROTECT update of seed 000's hmm_domain_update (update_directory with the write bit
/// cleared in the HMM table): every present page of each slice keeps only <paramref name="Prot"/>'s
/// access, with one IOTLB flush and sync before the reply. Reply: <see cref="IommuDirectoriesProtected"/>.
/// </summary>
public sealed record IommuProtectDirectories(IReadOnlyList<DirectorySlice> Slices, IommuProt Prot);

/// <summary>How many pages lost an access right.</summary>
public sealed record IommuDirectoriesProtected(Errno Errno, long Changed) : IReply;
