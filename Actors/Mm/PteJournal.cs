using IommuSim.Messages;

namespace IommuSim.Actors.Mm;

/// <summary>
/// The undo log of one mm operation that changes several page-table entries, so that an
/// operation failing half way (ENOMEM) changes nothing: old entries are restored and the pages
/// it allocated are put. Puts of pages the operation replaced are deferred to
/// <see cref="PutDeferred"/>, so a rollback never needs a freed page back.
/// </summary>
/// <remarks>
/// An operation that knows up front how many fresh pages it needs (a range fault) allocates
/// them in one bulk call and parks them here (<see cref="Reserve"/>); the per-page allocations
/// then take from the reserve instead of the pool's lock. Reserved pages nobody took are put
/// by the commit or the rollback, so a reserve never leaks. A journal can be reused for the
/// next operation after <see cref="Reset"/>, which keeps its lists' capacity.
/// </remarks>
internal sealed class PteJournal
{
    private readonly List<(ulong Vpn, CpuPte? Old)> _changes = [];
    private readonly List<Pfn> _allocated = [];
    private readonly List<Pfn> _deferredPuts = [];
    private Pfn[] _reserve = [];
    private int _reserved;
    private int _taken;

    public void Changed(ulong vpn, CpuPte? old) => _changes.Add((vpn, old));

    public void Allocated(Pfn pfn) => _allocated.Add(pfn);

    public void PutLater(Pfn pfn) => _deferredPuts.Add(pfn);

    public IReadOnlyList<(ulong Vpn, CpuPte? Old)> Changes => _changes;

    public IReadOnlyList<Pfn> AllocatedPages => _allocated;

    public IReadOnlyList<Pfn> DeferredPuts => _deferredPuts;

    /// <summary>A buffer of <paramref name="count"/> pfns for a bulk allocation; <see cref="Reserve"/> then says how many it got.</summary>
    public Span<Pfn> ReserveBuffer(int count)
    {
        if (_reserved != _taken) throw new InvalidOperationException("the journal still holds reserved pages");
        if (_reserve.Length < count) _reserve = new Pfn[Math.Max(count, _reserve.Length * 2)];
        _reserved = _taken = 0;
        return _reserve.AsSpan(0, count);
    }

    /// <summary>The first <paramref name="count"/> pfns of the <see cref="ReserveBuffer"/> were allocated: the operation takes them in order.</summary>
    public void Reserve(int count) => _reserved = count;

    /// <summary>Takes the next reserved page (recording it as allocated); false when none is left.</summary>
    public bool TryTakeReserved(out Pfn pfn)
    {
        if (_taken == _reserved)
        {
            pfn = default;
            return false;
        }
        pfn = _reserve[_taken++];
        _allocated.Add(pfn);
        return true;
    }

    /// <summary>The reserved pages nobody took, which the commit or rollback puts.</summary>
    public ReadOnlySpan<Pfn> UntakenReserve => _reserve.AsSpan(_taken, _reserved - _taken);

    /// <summary>Forgets everything for the next operation, keeping the buffers.</summary>
    public void Reset()
    {
        _changes.Clear();
        _allocated.Clear();
        _deferredPuts.Clear();
        _reserved = _taken = 0;
    }
}
