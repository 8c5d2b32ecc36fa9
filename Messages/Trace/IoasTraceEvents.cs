using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of an iommufd IOAS: what it pins and where it maps it. With the domains'
// IovaMapped/IovaUnmapped they let an oracle check that the pinned pages equal the mapped areas,
// and that an area leaves every domain (IOTLB synced) before its pages are unpinned.

/// <summary>An area's pages were pinned and the area mapped in every attached domain.</summary>
public sealed record IoasAreaMapped(IActorRef Ioas, IovaRange Iova, IReadOnlyList<Pfn> Pages) : ITraceEvent;

/// <summary>An area was unmapped from every attached domain and then its pages were unpinned.</summary>
public sealed record IoasAreaUnmapped(IActorRef Ioas, IovaRange Iova, IReadOnlyList<Pfn> Pages) : ITraceEvent;

/// <summary>A domain joined the IOAS, every area mapped into it.</summary>
public sealed record IoasDomainAttached(IActorRef Ioas, IActorRef Domain) : ITraceEvent;

/// <summary>A domain left the IOAS, every area unmapped from it.</summary>
public sealed record IoasDomainDetached(IActorRef Ioas, IActorRef Domain) : ITraceEvent;
