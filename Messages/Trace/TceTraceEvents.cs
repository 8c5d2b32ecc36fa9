using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of the VFIO sPAPR TCE container (seed 003): the pins it receives, every TCE it
// exchanges, every pin it releases (with the dirty mark), and the end of each request. With the
// unit's DeviceDma they let an oracle check that the pinned pages equal the valid TCEs, that every
// pin is released exactly once, that a page the device could write is dirty when released, and
// that no device reaches a page through a TCE after the container let go of it. The container
// checks EventStream.HasSubscribers once per request.

/// <summary>The container received pins on these pages from the mm (pin_user_pages for a MAP_DMA), in the order it will install them.</summary>
public sealed record TcePagesPinned(IActorRef Container, IReadOnlyList<Pfn> Pages) : ITraceEvent;

/// <summary>
/// One TCE exchange (iommu_tce_xchg_no_kill): the entry translating bus address
/// <paramref name="Ioba"/> now holds <paramref name="New"/> with <paramref name="NewDirection"/>
/// (DMA_NONE: invalid) and held <paramref name="Old"/> with <paramref name="OldDirection"/>.
/// </summary>
public readonly record struct TceExchange(ulong Ioba, PhysAddr New, DmaDirection NewDirection, PhysAddr Old, DmaDirection OldDirection)
{
    public override string ToString() =>
        $"ioba {AddressFormat.Hex(Ioba)}: {Old.Pfn} {OldDirection.KernelName()} -> {New.Pfn} {NewDirection.KernelName()}";
}

/// <summary>
/// Exchanges of one table, in the order they were made (a batch of a MAP_DMA, an UNMAP_DMA, a
/// rollback or a detach). <paramref name="PageShift"/> is the table's IOMMU page shift.
/// </summary>
public sealed record TceEntriesExchanged(IActorRef Container, int PageShift, IReadOnlyList<TceExchange> Exchanges) : ITraceEvent;

/// <summary>
/// One released pin (tce_iommu_unuse_page with the entry's direction): <paramref name="Direction"/>
/// is the direction of the TCE that held the page (DMA_NONE for a page pinned but never
/// installed); <paramref name="Dirty"/> is the page's dirty flag just before the unpin, after the
/// release marked it for a direction the device could write.
/// </summary>
public readonly record struct TceRelease(Pfn Pfn, DmaDirection Direction, bool Dirty, Errno Errno)
{
    public override string ToString() => $"{Pfn} {Direction.KernelName()}{(Dirty ? " dirty" : "")}{(Errno == Errno.None ? "" : " " + Errno)}";
}

/// <summary>The container released these pins, in order.</summary>
public sealed record TcePagesReleased(IActorRef Container, IReadOnlyList<TceRelease> Releases) : ITraceEvent;

/// <summary>
/// The container answered a request (<paramref name="Request"/> names it: "map", "unmap",
/// "detach", ...). Requests run one at a time, so at this point every pin the container holds is
/// in a valid TCE.
/// </summary>
public sealed record TceRequestDone(IActorRef Container, string Request, Errno Errno) : ITraceEvent;
