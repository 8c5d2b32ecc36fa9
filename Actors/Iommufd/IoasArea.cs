using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// struct iopt_area with its struct iopt_pages: an IOVA range, the user memory behind it and the
/// pages pinned for it (one pin per page while the area exists). <see cref="PageOffset"/> is
/// where the range starts in its first page (area->page_offset); an area whose IOVA, length and
/// offset are page aligned is what a domain can map.
/// </summary>
internal sealed class IoasArea(IovaRange iova, VirtAddr userAddress, IommuProt prot, Pfn[] pages)
{
    public IovaRange Iova { get; } = iova;

    public VirtAddr UserAddress { get; } = userAddress;

    public IommuProt Prot { get; } = prot;

    /// <summary>The pinned frames of every page the area touches, in order.</summary>
    public Pfn[] Pages { get; } = pages;

    public ulong PageOffset => UserAddress.PageOffset;

    public ulong Length => Iova.Length;

    /// <summary>
    /// iopt_area_fill_domain's batches: one iommu_map per run of physically contiguous pages, so
    /// that a domain can use huge IOPTEs where the frames allow. Only for page-aligned areas
    /// (every area, once a domain is attached: the IOVA alignment is at least the page size).
    /// </summary>
    public List<IommuMap> MapRequests()
    {
        var requests = new List<IommuMap>();
        var runStart = 0;
        for (var i = 1; i <= Pages.Length; i++)
        {
            if (i < Pages.Length && Pages[i].Value == Pages[i - 1].Value + 1) continue;
            var iova = new Iova(Iova.Start + ((ulong)runStart << PageSize.BaseShift));
            requests.Add(new IommuMap(iova, Pages[runStart].ToPhys(), (ulong)(i - runStart) << PageSize.BaseShift, Prot));
            runStart = i;
        }
        return requests;
    }

    /// <summary>iopt_area_unmap_domain: one iommu_unmap of the whole area (it stops at the first hole, after a partial fill).</summary>
    public IommuUnmap UnmapRequest() => new(new Iova(Iova.Start), Length);

    public IoasAreaInfo Info() => new(Iova, UserAddress, Prot, Pages.Length);
}
