namespace IommuSim.Hardware.Iommu;

/// <summary>
/// The I/O page fault path of a unit with page requests (PCIe PRI): the hardware page request
/// queue (the VT-d PRQ, the SMMUv3 PRIQ) and the group a faulting burst asks for, plus two
/// bug-injection switches of remove_dev_pasid's flush. Read from <c>iommusim.sva.iopf</c>.
/// </summary>
public sealed record IopfOptions
{
    public static IopfOptions Default { get; } = new();

    /// <summary>Entries of the page request queue. A request that finds it full is lost (the overflow flag is set); a lost last request is answered SUCCESS by the hardware.</summary>
    public int QueueDepth { get; init; } = 64;

    /// <summary>Pages one page request group asks for: the faulting page and the next ones of the burst, the last flagged LAST.</summary>
    public int GroupPages { get; init; } = 1;

    /// <summary>
    /// Bug injection, off in every correct configuration: remove_dev_pasid does not wait for the
    /// groups the fault handler is working on (iopf_queue_flush_dev skipped), so their responses
    /// reach the device after the unbind.
    /// </summary>
    public bool SkipFlushOnDetach { get; init; }

    /// <summary>
    /// Bug injection, off in every correct configuration: remove_dev_pasid does not drain the page
    /// request queue of the PASID (intel_drain_pasid_prq skipped), so the requests still queued are
    /// answered, INVALID, after the unbind.
    /// </summary>
    public bool SkipQueueDrainOnDetach { get; init; }

    /// <summary>An error message for an impossible combination, or null.</summary>
    public string? Validate() =>
        QueueDepth < 1 ? $"the page request queue needs at least one entry, not {QueueDepth}"
        : GroupPages is < 1 or > 512 ? $"a page request group asks for 1..512 pages, not {GroupPages}"
        : null;
}
