using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A domain's iotlb_sync on an <see cref="InvalidationQueue"/>: one range command for the whole
/// gather, then a sync, as arm_smmu_iotlb_sync (range invalidation + CMD_SYNC) and Intel's
/// cache_tag_flush_range do. An empty gather issues nothing.
/// </summary>
public sealed class QueuedIotlbSync(InvalidationQueue queue, uint domainId, Pasid? pasid = null) : IIotlbSync
{
    public InvalidationQueue Queue { get; } = queue;
    public uint DomainId { get; } = domainId;
    public Pasid? Pasid { get; } = pasid;

    public void IotlbSync(IotlbGather gather)
    {
        if (gather.IsEmpty)
            return;
        Queue.Submit(InvalidationCommand.FromGather(gather, DomainId, Pasid));
        Queue.Sync();
    }
}
