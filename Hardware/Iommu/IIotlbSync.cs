namespace IommuSim.Hardware.Iommu;

/// <summary>
/// The domain's iotlb_sync operation (struct iommu_domain_ops.iotlb_sync): flush the IOTLB for
/// everything the gather holds and wait for completion. <see cref="IotlbGather"/> calls it when a
/// new page cannot be merged; <see cref="QueuedIotlbSync"/> implements it on an
/// <see cref="InvalidationQueue"/>, and a domain actor may implement it by messaging its IOMMU unit.
/// </summary>
public interface IIotlbSync
{
    void IotlbSync(IotlbGather gather);
}
