using IommuSim.Messages;

namespace IommuSim.Actors.Mm;

/// <summary>
/// The undo log of one mm operation that changes several page-table entries, so that an
/// operation failing half way (ENOMEM) changes nothing: old entries are restored and the pages
/// it allocated are put. Puts of pages the operation replaced are deferred to
/// <see cref="PutDeferred"/>, so a rollback never needs a freed page back.
/// </summary>
internal sealed class PteJournal
{
    private readonly List<(ulong Vpn, CpuPte? Old)> _changes = [];
    private readonly List<Pfn> _allocated = [];
    private readonly List<Pfn> _deferredPuts = [];

    public void Changed(ulong vpn, CpuPte? old) => _changes.Add((vpn, old));

    public void Allocated(Pfn pfn) => _allocated.Add(pfn);

    public void PutLater(Pfn pfn) => _deferredPuts.Add(pfn);

    public IReadOnlyList<(ulong Vpn, CpuPte? Old)> Changes => _changes;

    public IReadOnlyList<Pfn> AllocatedPages => _allocated;

    public IReadOnlyList<Pfn> DeferredPuts => _deferredPuts;
}
