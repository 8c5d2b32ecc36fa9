using IommuSim.Messages;
using IommuSim.Messages.Mm;

namespace IommuSim.Messages.Hmm;

// Between a mirror and its HMM domain (seed 000: hmm_mirror_domain_update /
// hmm_domain_update_or_map). The HMM domain keeps one entry per leaf directory of the HMM page
// table (2 MiB of address space), holding the IOVA base of that directory's DMA mapping in the
// IOMMU domain, and maps or updates the whole directory at once.

/// <summary>
/// Map (or update, if mapped) the leaf directory that <paramref name="Directory"/> covers, with
/// the given pages (512 entries; an invalid entry leaves a hole). Reply: <see cref="DirectoryMapped"/>.
/// </summary>
public sealed record MapDirectory(AddressRange Directory, IReadOnlyList<HmmPfn?> Pages)
{
    /// <summary>
    /// The mm sequence the pages were read under (RangeFaultReply.Sequence), or null when unknown.
    /// A domain that has already processed an invalidation of an overlapping range with a later
    /// sequence should refuse with EAGAIN rather than map pages the mm may already have freed
    /// (the gpt_lock_fault / gpt_lock_update exclusion of seed 000, made a message check); the
    /// mirror then faults the range again.
    /// </summary>
    public long? ReadSequence { get; init; }
}

/// <summary>The IOVA of the directory's first page; page i of the directory is at <c>IovaBase + i * 4 KiB</c>.</summary>
public sealed record DirectoryMapped(Errno Errno, Iova IovaBase, int RefDelta) : IReply;

/// <summary>Asks the HMM domain for its state. Reply: <see cref="HmmDomainStats"/>.</summary>
public sealed record GetHmmDomainStats;

public sealed record HmmDomainStats(Errno Errno, int Mirrors, int MappedDirectories, long MappedPages, long MapCalls, long UpdateCalls, long UnmapCalls) : IReply;
