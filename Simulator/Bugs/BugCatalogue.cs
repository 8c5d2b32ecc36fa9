namespace IommuSim.Simulator.Bugs;

/// <summary>
/// Every bug `--bug NAME` can inject, in the order `iommusim bugs` lists them. Adding one is one
/// entry here: its name, what it leaves out, the scenario that finds it, and the option it sets.
/// </summary>
public static class BugCatalogue
{
    public static readonly IReadOnlyList<Bug> All =
    [
        new("skip-sequence-check",
            "commit a device fault without checking the sequence (dmirror_range_fault without mmu_interval_read_retry): a mirror maps pages a racing munmap has freed",
            "munmap-vs-fault-race",
            o => o with { Mirror = o.Mirror.Then(m => m with { CheckSequenceBeforeCommit = false }) }),
        new("free-pages-before-fences",
            "free the CPU pages of an invalidation when it starts, before every mirror and HMM domain fenced (mmu_notifier_invalidate_range_start skipped): a device reads a freed page",
            "shared-iommu-domain",
            o => o with { Mm = o.Mm.Then(m => m with { FreePagesBeforeFences = true }) }),
        new("skip-hmm-domain-unmap",
            "on MUNMAP, fence without unmapping the range from the IOMMU domain (hmm_update forgetting hmm_domain_unmap): a device DMAs by IOVA to freed pages",
            "shared-iommu-domain",
            o => o with { HmmDomain = o.HmmDomain.Then(m => m with { SkipUnmapOnMunmap = true }) }),
        new("free-referenced-hmm-directory",
            "drop an hmm_domain directory entry when part of it is unmapped although other pages of it are still mapped (its refcount ignored): the rest is never unmapped",
            "shared-iommu-domain",
            o => o with { HmmDomain = o.HmmDomain.Then(m => m with { FreeReferencedDirectories = true }) }),
        new("skip-iotlb-sync",
            "answer iommu_unmap before iommu_iotlb_sync: stale IOTLB and micro-TLB entries survive the reply and a device keeps translating the IOVA",
            "shared-iommu-domain",
            o => o with { IommuDomain = o.IommuDomain.Then(m => m with { SkipIotlbSyncAfterUnmap = true }) }),
        new("drop-device-tlb-invalidation",
            "complete an IOTLB sync without invalidating the device TLBs (ATS invalidation dropped): a device with an ATC keeps its translation after the unmap",
            "shared-iommu-domain",
            o => o with { Unit = o.Unit.Then(u => u with { DropDeviceTlbInvalidation = true }) }),
        new("clear-dirty-without-report",
            "read-and-clear stores each dirty IOPTE's bitmap word instead of OR-ing into it (iova_bitmap_set with = for |=): dirty bits are cleared without being reported, and a live migration copies stale pages",
            "live-migration",
            o => o with { IommuDomain = o.IommuDomain.Then(m => m with { ClearDirtyWithoutReport = true }) }),
        new("unbind-without-fault-flush",
            "remove a device's PASID without waiting for the I/O page faults the handler is working on (iopf_queue_flush_dev skipped in remove_dev_pasid): their responses reach the device after the unbind",
            "sva-multi-unit",
            o => o with { Unit = o.Unit.Then(u => u with { Iopf = u.Iopf with { SkipFlushOnDetach = true } }) }),
        new("iopf-response-after-unbind",
            "remove a device's PASID without draining its page requests (intel_drain_pasid_prq skipped): requests still queued are answered after the unbind",
            "sva-multi-unit",
            o => o with { Unit = o.Unit.Then(u => u with { Iopf = u.Iopf with { SkipQueueDrainOnDetach = true } }) }),
        new("skip-pasid-invalidation",
            "answer an mm invalidation from an SVA domain without invalidating the PASID's IOTLB and device-TLB entries (arch_invalidate_secondary_tlbs doing nothing): a device reaches a page munmap freed",
            "sva-multi-unit",
            o => o with { Sva = o.Sva.Then(s => s with { SkipPasidInvalidation = true }) }),
        new("serve-walk-during-invalidation",
            "serve an IOMMU walk of the CPU page table while an invalidation of the address runs (no ptep_clear_flush before the secondary-TLB invalidation): the walk refills an IOTLB with a page about to be freed",
            "sva-multi-unit",
            o => o with { Mm = o.Mm.Then(m => m with { ServeSvaWalksDuringInvalidation = true }) }),
        new("skip-tce-dirty-mark",
            "release a page replaced in a DMA_FROM_DEVICE or DMA_BIDIRECTIONAL TCE without SetPageDirty (seed 003's iommu_tce_xchg / tce_iommu_unuse_page_v2): what the device wrote may be lost",
            "tce-exchange-churn",
            o => o with { TceContainer = o.TceContainer.Then(t => t with { SkipDirtyOnRelease = true }) }),
        new("invalidate-before-exchange",
            "kill the PHB's TCE cache before the exchange instead of after (iommu_tce_kill moved ahead of iommu_tce_xchg_no_kill) and release the old pages at once: a TCE fetch in between keeps a stale entry to a released page",
            "tce-exchange-churn",
            o => o with { TceContainer = o.TceContainer.Then(t => t with { InvalidateBeforeExchange = true }) }),
    ];

    public static Bug? Find(string name) => All.FirstOrDefault(b => b.Name == name);

    /// <summary>The options with every named bug injected; an unknown name is an error listing the known ones.</summary>
    public static MachineOptions Apply(IEnumerable<string> names)
    {
        var options = MachineOptions.Correct;
        foreach (var name in names)
        {
            var bug = Find(name) ?? throw new ArgumentException($"unknown bug '{name}' (known: {string.Join(", ", All.Select(b => b.Name))})");
            options = bug.Apply(options);
        }
        return options;
    }
}
