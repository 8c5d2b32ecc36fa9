using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Actors.Sva;

// The domain's mmu_notifier (arm_smmu_mm_arch_invalidate_secondary_tlbs, intel's
// intel_arch_invalidate_secondary_tlbs): every invalidation of the mm becomes IOTLB and device-TLB
// invalidations of the domain's PASID on each unit that may cache it, queued and synced; the fence
// goes back to the mm only when every unit's sync completed.
public sealed partial class IommuSvaDomainActor
{
    /// <summary>
    /// CMDQ_MAX_TLBI_OPS of drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c, (1 &lt;&lt; (PAGE_SHIFT - 3))
    /// = 512 with 4 KiB pages: a range of that many pages or more (size &gt;= CMDQ_MAX_TLBI_OPS *
    /// PAGE_SIZE) is invalidated as the whole address space (arm_smmu_tlb_inv_asid) rather than page
    /// by page, which would otherwise flood the command queue.
    /// </summary>
    public const int MaxRangeInvalidationPages = 1 << (PageSize.BaseShift - 3);

    private readonly Dictionary<long, (long Sequence, int Outstanding)> _invalidating = [];
    private long _invalidations;
    private long _commands;
    private long _pasidWide;
    private long _syncs;

    /// <summary>The units that may cache the PASID's translations: those with devices, and the one of an attach or detach in flight.</summary>
    private List<IActorRef> CachingUnits()
    {
        var units = new List<IActorRef>(_units.Count + 1);
        units.AddRange(_units.Keys);
        if (_pending is { Unit: { } unit } && !_units.ContainsKey(unit)) units.Add(unit);
        return units;
    }

    /// <summary>The commands for a range: one whole-PASID command from 512 pages on, else one PASID-tagged range command.</summary>
    public static IotlbInvalidation CommandFor(AddressRange range, Pasid pasid) =>
        range.Pages >= MaxRangeInvalidationPages
            ? IotlbInvalidation.ForPasid(pasid)
            : IotlbInvalidation.Range(new Iova(range.Start), range.Length, PageSize.Size4K.Bytes) with { Pasid = pasid };

    private void OnMmuInvalidate(MmuInvalidate invalidate)
    {
        _invalidations++;
        var units = CachingUnits();
        if (units.Count == 0 || _options.SkipPasidInvalidation)
        {
            Sender.Tell(new InvalidationFence(invalidate.Sequence), Self);
            return;
        }
        var command = CommandFor(invalidate.Range, _pasid);
        if (command.Kind == IotlbInvalidationKind.Pasid) _pasidWide += units.Count;
        var cookie = ++_nextCookie;
        _invalidating.Add(cookie, (invalidate.Sequence, units.Count));
        foreach (var unit in units)
        {
            _commands++;
            _syncs++;
            unit.Tell(new IotlbInvalidate(Self, [command], Sync: true, cookie), Self);
        }
    }

    private void OnIotlbInvalidated(IotlbInvalidated done)
    {
        if (!_invalidating.TryGetValue(done.Cookie, out var state)) return;
        if (state.Outstanding > 1)
        {
            _invalidating[done.Cookie] = state with { Outstanding = state.Outstanding - 1 };
            return;
        }
        _invalidating.Remove(done.Cookie);
        _mm.Tell(new InvalidationFence(state.Sequence), Self);
    }
}
