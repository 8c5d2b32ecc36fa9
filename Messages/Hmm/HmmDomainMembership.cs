using IommuSim.Runtime;

namespace IommuSim.Messages.Hmm;

// Between an mm and the HMM domains it creates (seed 000: hmm_add_mirror / hmm_del_mirror_locked
// / hmm_free_domain_locked). The mm creates one HMM domain per IOMMU domain its mirrors' devices
// sit behind, with the Props factory it was given, and tells it which mirrors belong to it. The
// mm checks that a device mirrors it only once before it sends AddDomainMirror; the domain
// checks again for its own mirrors (the seed's per-domain check).

/// <summary>A mirror of this mm whose device is behind the domain's IOMMU domain joined. Reply: <see cref="Done"/> (EINVAL if the same device is already in the domain).</summary>
public sealed record AddDomainMirror(IActorRef Mirror, string DeviceName);

/// <summary>
/// A mirror left. When it was the last one the domain unmaps everything it mapped
/// (hmm_free_domain_locked: hmm_domain_unmap over the whole address space, IOTLB synced) before
/// it answers, then stops itself (the mm may stop it too; requests still queued behind the unmap
/// are answered first: an invalidation with its fence, anything else with ENODEV). EINVAL for a mirror
/// that is not in the domain. Reply: <see cref="DomainMirrorRemoved"/>.
/// </summary>
public sealed record RemoveDomainMirror(IActorRef Mirror);

/// <summary>How many mirrors the domain still has; 0 means everything is unmapped and the domain may be stopped.</summary>
public sealed record DomainMirrorRemoved(Errno Errno, int MirrorsLeft) : IReply;
