using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;

namespace IommuSim.Hardware.Iommu;

// DMA tagged with a PASID (SVA, seed 002): the burst runs through the same translation path as a
// DMA by IOVA, with the PASID entry's SVA domain as its context and the IOTLB and micro-TLB entries
// tagged with the PASID. A miss is walked by the SVA domain, which asks the mm for its CPU page
// table (SvaWalked comes back through the domain, on the same path as the domain's invalidations,
// so a walk answered before an invalidation reaches the unit before that invalidation does). A
// page that is not present, or not writable for a write, becomes a page request (Iopf.cs).
public sealed partial class IommuUnitActor
{
    /// <summary>What a walk of the mm handed out for one page: under which mm sequence, and the frame's generation then (for the DMA safety check).</summary>
    private readonly record struct SvaMapping(long Sequence, int Generation, Pfn Pfn);

    // Filled only while someone subscribes to DmaAccess: the walk each cached SVA translation came from.
    private readonly Dictionary<(uint DomainId, uint Pasid, ulong Vpn), SvaMapping> _svaTranslations = [];

    private void OnUnitPasidDma(UnitPasidDma dma)
    {
        var error = CheckBurst(new Iova(dma.Address.Value), dma.Pages);
        if (error == Errno.None && dma.Write && (dma.Values is null || dma.Values.Count != dma.Pages)) error = Errno.EINVAL;
        if (error == Errno.None && !_devices.ContainsKey(dma.DeviceName)) error = Errno.ENODEV;
        PasidEntry? entry = null;
        // A PASID without an entry is a bad substream: a non-recoverable fault.
        if (error == Errno.None && !_pasids.TryGetValue((dma.DeviceName, dma.Pasid.Value), out entry)) error = Errno.EFAULT;
        if (error != Errno.None)
        {
            Sender.Tell(new UnitPasidDmaDone(dma.Tag, error, 0, [], null), Self);
            return;
        }
        Enqueue(new DmaJob(Sender, _devices[dma.DeviceName], dma.Address.Value, dma.Pages, dma.Write)
        {
            Sva = entry,
            Values = dma.Values,
            Read = dma.Write ? null : new ulong[dma.Pages],
            Tag = dma.Tag,
        });
    }

    /// <summary>The context a PASID job translates through: its entry's SVA domain, none once the entry is being removed.</summary>
    private static DomainContext? SvaContext(PasidEntry entry) => entry.Removing ? null : entry.Context;

    /// <summary>Where a burst stops on a translation fault: a PASID burst may become a page request, any other one finishes.</summary>
    private bool Fault(DmaJob job, Errno errno, DomainContext? context) =>
        job.Sva is null ? Finish(job, errno, context) : PageRequestOrAbort(job, errno, context);

    /// <summary>Finish for a PASID burst: the fault is recorded (a non-recoverable one), the cost charged, the device answered.</summary>
    private bool FinishSva(DmaJob job, Errno errno, DomainContext? context)
    {
        if (errno is Errno.EFAULT or Errno.EPERM)
            RecordFault(job.Device.Name, new Iova(job.Iova + ((ulong)job.Done << PageSize.BaseShift)), job.Write, errno, context?.Id ?? 0);
        ReplySva(job, errno, null);
        return true;
    }

    private void ReplySva(DmaJob job, Errno errno, int? pageRequestGroup)
    {
        Charge(job.CostNs);
        job.CostNs = 0;
        PublishLookups(job);
        IReadOnlyList<ulong> values = job.Read is { } read
            ? (job.Done == read.Length ? read : new ArraySegment<ulong>(read, 0, job.Done))
            : [];
        job.ReplyTo.Tell(new UnitPasidDmaDone(job.Tag, errno, job.Done, values, pageRequestGroup), Self);
    }

    /// <summary>
    /// A walk of the mm's CPU page table, forwarded by the SVA domain: remembered for the DMA safety
    /// check when it is traced, then handled as any walk answer.
    /// </summary>
    private void OnSvaWalked(SvaWalked walked)
    {
        if (_walk is { Job.Sva: { } entry } walk && walk.Context.Ref.Equals(Sender) && walk.Iova == walked.Address.Value
            && Context.System.EventStream.HasSubscribers(typeof(DmaAccess)))
        {
            for (var i = 0; i < walked.Pages.Count && i < walked.Generations.Count; i++)
            {
                var t = walked.Pages[i];
                if (t.Errno != Errno.None) continue;
                var vpn = (walked.Address.Value >> PageSize.BaseShift) + (ulong)i;
                _svaTranslations[(walk.Context.Id, entry.Pasid.Value, vpn)] = new SvaMapping(walked.Sequence, walked.Generations[i], t.Phys.Pfn);
            }
        }
        OnRangeTranslation(new RangeTranslation(walked.Errno, new Iova(walked.Address.Value), walked.Pages));
    }

    /// <summary>
    /// A PASID access as the mm's DMA safety check sees a mirror's: the mm, the virtual address,
    /// the frame, and the generation and mm sequence of the walk its translation came from. A
    /// translation that is not the one the last walk of the page handed out has been replaced
    /// since, so it is reported as older than every invalidation (sequence 0).
    /// </summary>
    private void TraceSvaAccess(DmaJob job, DomainContext context, ulong va, Pfn pfn, bool live)
    {
        var entry = job.Sva!;
        var generation = _memory.PageGeneration(pfn);
        var (sequence, mapped) = _svaTranslations.TryGetValue((context.Id, entry.Pasid.Value, va >> PageSize.BaseShift), out var m)
            ? (m.Pfn == pfn ? (m.Sequence, m.Generation) : (0L, generation))
            : (long.MaxValue, generation);
        Context.System.EventStream.Publish(new DmaAccess(job.Device.Name, entry.Mm, new VirtAddr(va), pfn, null,
            mapped, generation, live, job.Write, sequence));
    }

    /// <summary>Forgets the walks of a PASID (or of a whole domain id, <paramref name="pasid"/> null) whose entries were flushed.</summary>
    private void ForgetSvaTranslations(uint domainId, Pasid? pasid)
    {
        if (_svaTranslations.Count == 0) return;
        foreach (var key in _svaTranslations.Keys.Where(k => k.DomainId == domainId && (pasid is null || k.Pasid == pasid.Value.Value)).ToList())
            _svaTranslations.Remove(key);
    }
}
