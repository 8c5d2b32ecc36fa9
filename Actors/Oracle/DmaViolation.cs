using IommuSim.Messages;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// One breach of DESIGN.md's first invariant: a device read or wrote a page after the
/// invalidation that removed its mapping completed, or a page that was freed (or freed and
/// reused) since the mm handed it out.
/// </summary>
/// <param name="Device">The device that made the access.</param>
/// <param name="Pfn">The page it accessed.</param>
/// <param name="Address">The virtual address its mapping stood for (0 for a DMA by IOVA, whose virtual address the IOMMU does not know).</param>
/// <param name="InvalidationSequence">The completed invalidation that had removed the mapping, if one had.</param>
/// <param name="Message">What happened, in one line.</param>
/// <param name="RecentEvents">The trace events just before the access, oldest first.</param>
public sealed record DmaViolation(
    string Device,
    Pfn Pfn,
    VirtAddr Address,
    long? InvalidationSequence,
    string Message,
    IReadOnlyList<string> RecentEvents)
{
    /// <summary>The IOVA a device DMA used (a violation found on the IOMMU side); null for a mirror's access.</summary>
    public Iova? Iova { get; init; }

    /// <summary>For an IOMMU-side violation: the unmap, or the mm invalidation, that had removed the mapping or freed the page.</summary>
    public string? Invalidation { get; init; }

    public override string ToString() =>
        Message + Environment.NewLine + "  recent events:" + Environment.NewLine + "    " + string.Join(Environment.NewLine + "    ", RecentEvents);
}
