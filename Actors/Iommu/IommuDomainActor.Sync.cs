using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;

namespace IommuSim.Actors.Iommu;

// Gathering unmapped leaves into invalidation commands and syncing them through the unit.
public sealed partial class IommuDomainActor
{
    /// <summary>
    /// The domain's iotlb_sync as the gather sees it. A gather forced to sync part-way (a page of
    /// another size, a disjoint range) appends that range's command here; the request then sends
    /// all of them to the unit in one message closed by one sync, as arm_smmu_cmdq_batch batches
    /// commands before its CMD_SYNC.
    /// </summary>
    private sealed class CommandBatch : IIotlbSync
    {
        public List<IotlbInvalidation> Commands { get; } = [];

        public void IotlbSync(IotlbGather gather)
        {
            if (gather.IsEmpty) return;
            var granule = gather.PageSizeBytes == 0 ? PageSizeBitmap.Size4K : gather.PageSizeBytes;
            Commands.Add(IotlbInvalidation.Range(new Iova(gather.Start), gather.End - gather.Start + 1, granule));
        }
    }

    private readonly Dictionary<long, Action> _pendingSyncs = [];
    private long _nextCookie;
    private long _syncs;
    private long _commands;

    /// <summary>
    /// Whether the unit may hold translations of this domain: a device is attached, or an attach
    /// or detach is on its way (the unit then handles the commands after it, in order). Without
    /// either, nothing can be cached: the unit flushed the domain's id when its last device left,
    /// and refuses to cache a walk answered after that.
    /// </summary>
    private bool UnitMayCache => _attached.Count > 0 || _membership.Count > 0;

    /// <summary>
    /// Sends the commands to the unit, with a sync unless <paramref name="sync"/> is false, and
    /// runs <paramref name="completed"/> when the unit answers (after the sync completed, device
    /// TLBs included). With nothing cacheable, or no commands, it runs at once.
    /// </summary>
    private void Invalidate(IReadOnlyList<IotlbInvalidation> commands, bool sync, Action completed)
    {
        if (commands.Count == 0 || !UnitMayCache)
        {
            completed();
            return;
        }
        var cookie = ++_nextCookie;
        _pendingSyncs.Add(cookie, completed);
        _commands += commands.Count;
        if (sync) _syncs++;
        _unit.Ref.Tell(new IotlbInvalidate(Self, commands, sync, cookie), Self);
    }

    /// <summary>
    /// The unmap paths' flush: a sync the reply waits for, or — with the injected bug — the
    /// commands queued without a sync and the reply sent at once.
    /// </summary>
    private void FlushUnmapped(IReadOnlyList<IotlbInvalidation> commands, Action reply)
    {
        if (_options.SkipIotlbSyncAfterUnmap)
        {
            Invalidate(commands, sync: false, () => { });
            reply();
            return;
        }
        Invalidate(commands, sync: true, reply);
    }

    private void OnIotlbInvalidated(IotlbInvalidated done)
    {
        if (_pendingSyncs.Remove(done.Cookie, out var completed)) completed();
    }

    /// <summary>
    /// Unmaps leaf by leaf as iommu_unmap does (stopping at the first hole) and gathers what went:
    /// the leaves are listed first, because a partly covered huge leaf goes whole.
    /// </summary>
    private ulong UnmapGathered(Iova iova, ulong size, IotlbGather gather, CommandBatch batch)
    {
        var table = _table!;
        var leaves = table.EnumerateLeaves(iova, size).ToList();
        var unmapped = table.Unmap(iova, size);
        if (unmapped == 0 || leaves.Count == 0) return unmapped;
        var end = leaves[0].Iova.Value + unmapped;
        foreach (var leaf in leaves)
        {
            if (leaf.Iova.Value >= end) break;
            gather.AddPage(batch, leaf.Iova, leaf.Size.Bytes);
        }
        return unmapped;
    }
}
