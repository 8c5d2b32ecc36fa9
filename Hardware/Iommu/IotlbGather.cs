using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// struct iommu_iotlb_gather (include/linux/iommu.h): the IOVA range, and the page size, of IOTLB
/// entries that unmaps have made stale and that one flush will invalidate. Start/End are inclusive
/// as in the kernel; an empty gather has Start = ULONG_MAX and End = 0 (iommu_iotlb_gather_init).
/// Owned by the one actor that unmaps with it; no locks.
/// </summary>
public sealed class IotlbGather
{
    public IotlbGather() => Init();

    /// <summary>First IOVA to flush (ULONG_MAX when empty).</summary>
    public ulong Start { get; private set; }
    /// <summary>Last IOVA to flush, inclusive (0 when empty).</summary>
    public ulong End { get; private set; }
    /// <summary>gather->pgsize: the flush granule; 0 until a page is added with <see cref="AddPage"/>.</summary>
    public ulong PageSizeBytes { get; private set; }
    /// <summary>Pages and ranges added since the last init, for the "batched pages" statistics.</summary>
    public long Additions { get; private set; }

    public bool IsEmpty => Start > End;

    /// <summary>[Start, End + 1) as a half-open range; empty when the gather is.</summary>
    public AddressRange Range => IsEmpty ? default : new AddressRange(Start, End + 1);

    /// <summary>iommu_iotlb_gather_init.</summary>
    public void Init()
    {
        Start = ulong.MaxValue;
        End = 0;
        PageSizeBytes = 0;
        Additions = 0;
    }

    /// <summary>
    /// iommu_iotlb_gather_is_disjoint: whether [iova, iova + size) neither overlaps nor touches the
    /// gathered range, so that merging would flush IOVA nobody unmapped. Exactly the kernel's test
    /// <c>gather->end != 0 &amp;&amp; (end + 1 &lt; gather->start || start > gather->end + 1)</c>, including its
    /// quirk that a gather whose range ends at IOVA 0 counts as empty.
    /// </summary>
    public bool IsDisjoint(Iova iova, ulong size)
    {
        var start = iova.Value;
        var end = start + size - 1;
        return End != 0 && (end + 1 < Start || start > End + 1);
    }

    /// <summary>iommu_iotlb_gather_add_range: widen the range to cover [iova, iova + size), whatever the page size.</summary>
    public void AddRange(Iova iova, ulong size)
    {
        var end = iova.Value + size - 1;
        if (Start > iova.Value) Start = iova.Value;
        if (End < end) End = end;
        Additions++;
    }

    /// <summary>
    /// iommu_iotlb_gather_add_page: add one unmapped page of <paramref name="size"/> bytes. If the
    /// gather already holds pages of another size, or the new page is disjoint from its range, the
    /// gather is synced first (<paramref name="domain"/>'s iotlb_sync, then init), so that one range
    /// command never covers two granules or a gap. Returns whether that sync was forced.
    /// </summary>
    public bool AddPage(IIotlbSync domain, Iova iova, ulong size)
    {
        var forced = (PageSizeBytes != 0 && PageSizeBytes != size) || IsDisjoint(iova, size);
        if (forced)
            Sync(domain);
        PageSizeBytes = size;
        AddRange(iova, size);
        return forced;
    }

    /// <summary>iommu_iotlb_sync: hand the gather to the domain's iotlb_sync, then re-init it.</summary>
    public void Sync(IIotlbSync domain)
    {
        domain.IotlbSync(this);
        Init();
    }

    public override string ToString() => IsEmpty ? "gather(empty)" : $"gather({Range}, pgsize {AddressFormat.Hex(PageSizeBytes)})";
}
