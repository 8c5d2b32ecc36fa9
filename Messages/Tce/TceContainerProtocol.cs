using IommuSim.Messages;

namespace IommuSim.Messages.Tce;

// Requests to a TceContainerActor: the VFIO sPAPR TCE IOMMU container (VFIO_SPAPR_TCE_IOMMU,
// drivers/vfio/vfio_iommu_spapr_tce.c, as seed 003 leaves it) of one process. Each request is
// answered with exactly one reply, in the order the requests arrived; a request that fails its
// checks changes nothing.

/// <summary>VFIO_DMA_MAP_FLAG_READ / _WRITE, with the uapi values.</summary>
[Flags]
public enum VfioDmaMapFlags : uint
{
    None = 0,
    /// <summary>VFIO_DMA_MAP_FLAG_READ: the device may read the memory (DMA_TO_DEVICE).</summary>
    Read = 1 << 0,
    /// <summary>VFIO_DMA_MAP_FLAG_WRITE: the device may write the memory (DMA_FROM_DEVICE).</summary>
    Write = 1 << 1,
}

/// <summary>
/// VFIO_GROUP_SET_CONTAINER → tce_iommu_attach_group: the container takes ownership of every TCE
/// table of the IOMMU group named <paramref name="Group"/> (spapr_tce_take_ownership) and the
/// group's devices translate through them. ENODEV for a group the platform does not have; EBUSY
/// when a group is already attached (one group per v1 container) or the container is enabled;
/// EINVAL for a table without an exchange op, EBUSY for a table in use or owned by another
/// container (iommu_take_ownership). Reply: <see cref="Done"/>.
/// </summary>
public sealed record TceAttachGroup(string Group);

/// <summary>
/// VFIO_GROUP_UNSET_CONTAINER → tce_iommu_detach_group: an enabled container is disabled first,
/// every entry of the group's tables is cleared (tce_iommu_clear over the whole window, releasing
/// each page), ownership goes back to the platform and the devices' DMA is blocked. EINVAL for a
/// group that is not attached (the kernel only warns). Reply: <see cref="Done"/>.
/// </summary>
public sealed record TceDetachGroup(string Group);

/// <summary>
/// VFIO_IOMMU_ENABLE → tce_iommu_enable: accounts the whole default window as locked memory
/// (account_locked_vm of tce32_size pages). EBUSY when already enabled, ENODEV without a group,
/// EPERM for a group without a 32-bit window, ENOMEM past RLIMIT_MEMLOCK without CAP_IPC_LOCK.
/// Reply: <see cref="Done"/>.
/// </summary>
public sealed record TceEnable;

/// <summary>VFIO_IOMMU_DISABLE → tce_iommu_disable: gives the locked memory back; a disabled container is not an error. Reply: <see cref="Done"/>.</summary>
public sealed record TceDisable;

/// <summary>VFIO_IOMMU_SPAPR_TCE_GET_INFO. ENXIO without a group. Reply: <see cref="TceInfo"/>.</summary>
public sealed record TceGetInfo;

/// <summary>dma32_window_start and dma32_window_size of struct vfio_iommu_spapr_tce_info.</summary>
public sealed record TceInfo(Errno Errno, ulong Dma32WindowStart, ulong Dma32WindowSize) : IReply;

/// <summary>
/// VFIO_IOMMU_MAP_DMA (struct vfio_iommu_type1_dma_map): map <paramref name="Size"/> bytes of the
/// process's memory at <paramref name="Vaddr"/> at bus address <paramref name="Iova"/>, one TCE per
/// IOMMU page, each page pinned. Errors as the seed's ioctl returns them: EPERM when the container
/// is not enabled; EINVAL for unknown flags; ENXIO when no window holds the IOVA; EINVAL for a size
/// that is not a multiple of the IOMMU page, a TCE permission bit in the address, neither READ nor
/// WRITE, or an address or IOVA that iommu_tce_put_param_check refuses; EFAULT for a page that
/// cannot be pinned; EPERM for a page smaller than the IOMMU page (tce_page_is_contained). An error
/// after some entries were written clears exactly those entries. Reply: <see cref="Done"/>.
/// </summary>
public sealed record VfioMapDma(ulong Vaddr, ulong Iova, ulong Size, VfioDmaMapFlags Flags);

/// <summary>
/// VFIO_IOMMU_UNMAP_DMA (struct vfio_iommu_type1_dma_unmap): exchange every entry of the range
/// with an empty one and release the pages they held. EPERM when not enabled; EINVAL for any flag,
/// a size that is not a multiple of the IOMMU page, or a range iommu_tce_clear_param_check
/// refuses; ENXIO when no window holds the IOVA. Reply: <see cref="Done"/>.
/// </summary>
public sealed record VfioUnmapDma(ulong Iova, ulong Size, uint Flags = 0);

/// <summary>Asks for the container's counters. Reply: <see cref="TceContainerStats"/>.</summary>
public sealed record GetTceContainerStats;

/// <param name="Enabled">VFIO_IOMMU_ENABLE is in effect.</param>
/// <param name="Groups">IOMMU groups attached.</param>
/// <param name="LockedPages">Pages accounted to locked_vm by the enable.</param>
/// <param name="PinnedPages">Page pins the container holds (one per valid TCE when it is idle).</param>
/// <param name="ValidTces">Valid entries over the container's tables.</param>
/// <param name="Exchanges">TCE exchanges made (map, unmap, rollback and detach).</param>
/// <param name="Kills">TCE-cache invalidations sent to the PHB (one per batch of a table that needs them).</param>
/// <param name="PagesPinned">Pages pinned for MAP_DMA since creation.</param>
/// <param name="PagesReleased">Pins released since creation (replaced, unmapped, rolled back, never installed).</param>
/// <param name="PagesDirtied">Released pages marked dirty because the device could write them.</param>
/// <param name="Walks">TCE fetches answered for the PHB (one per page walked).</param>
public sealed record TceContainerStats(
    Errno Errno,
    bool Enabled,
    int Groups,
    long LockedPages,
    long PinnedPages,
    long ValidTces,
    long Exchanges,
    long Kills,
    long PagesPinned,
    long PagesReleased,
    long PagesDirtied,
    long Walks) : IReply;
