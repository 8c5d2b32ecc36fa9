using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public sealed partial class TceTable
{
    /// <summary>IOMMU_PAGE_MASK(tbl): clears the offset bits of an IOMMU page.</summary>
    public ulong PageMask => ~(PageSize.Bytes - 1);

    /// <summary>
    /// iommu_tce_put_param_check as seed 003 leaves it (arch/powerpc/kernel/iommu.c, 2015): before
    /// VFIO's MAP_DMA writes one TCE at bus address <paramref name="ioba"/> for <paramref name="tce"/>.
    /// -EINVAL (returned here as <see cref="Errno.EINVAL"/>) when the TCE has bits other than an
    /// IOMMU-page-aligned address and TCE_PCI_READ/WRITE, when ioba is not IOMMU-page aligned, or
    /// when its entry lies outside [it_offset, it_offset + it_size). The seed drops the earlier
    /// "no permission bit set" rejection, because permissions now travel as a DMA direction.
    ///
    /// Today's kernel differs: iommu_tce_put_param_check is a macro in
    /// arch/powerpc/include/asm/iommu.h, <c>(iommu_tce_check_ioba(...) || iommu_tce_check_gpa(...))</c>.
    /// A C <c>||</c> yields 1, not -EINVAL, so a bad argument makes it return 1, and
    /// vfio_iommu_spapr_tce.c's <c>ret = iommu_tce_put_param_check(...); if (ret) return ret;</c>
    /// hands 1 back from the MAP_DMA ioctl instead of -EINVAL. iommu_tce_check_gpa also no longer
    /// tolerates permission bits: it only requires the address to be IOMMU-page aligned. The model
    /// implements the seed's -EINVAL.
    /// </summary>
    public Errno PutParamCheck(ulong ioba, ulong tce)
    {
        if ((tce & ~(PageMask | TcePciWrite | TcePciRead)) != 0)
            return Errno.EINVAL;
        return CheckIoba(ioba, 1);
    }

    /// <summary>
    /// iommu_tce_clear_param_check as seed 003 leaves it: before VFIO's UNMAP_DMA clears
    /// <paramref name="npages"/> TCEs from bus address <paramref name="ioba"/>. -EINVAL when
    /// <paramref name="tceValue"/> is not 0 (it_ops->clear supports no other value), when ioba is
    /// not IOMMU-page aligned, when its entry is below it_offset, or when the run of npages entries
    /// ends past it_offset + it_size.
    ///
    /// Today's kernel differs: the macro <c>(iommu_tce_check_ioba(...) || (tce_value))</c> returns 1,
    /// not -EINVAL, on a bad argument (and VFIO's UNMAP_DMA returns that 1 from the ioctl); and
    /// iommu_tce_check_ioba ignores its npages argument, testing only <c>(ioba + 1) > (offset + size)</c>,
    /// so a run that starts inside the window and ends past it passes the check. The model
    /// implements the seed's -EINVAL with the whole run checked.
    /// </summary>
    public Errno ClearParamCheck(ulong ioba, ulong tceValue, ulong npages)
    {
        if (tceValue != 0)
            return Errno.EINVAL;
        return CheckIoba(ioba, npages);
    }

    /// <summary>The seed's ioba checks: aligned, entry at or above it_offset, the run's end at or below it_offset + it_size.</summary>
    private Errno CheckIoba(ulong ioba, ulong npages)
    {
        if ((ioba & ~PageMask) != 0)
            return Errno.EINVAL;
        var index = ioba >> PageShift;
        if (index < Offset)
            return Errno.EINVAL;
        // (ioba + npages) > (it_offset + it_size), written so that neither side can wrap.
        var relative = index - Offset;
        if (relative > Size || npages > Size - relative)
            return Errno.EINVAL;
        return Errno.None;
    }
}
