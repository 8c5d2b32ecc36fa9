using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

// The translation path: a burst's pages through the micro-TLB, the IOTLB and, on a miss, the
// page walker (a TranslateRange to the device's domain), then to memory.
public sealed partial class IommuUnitActor
{
    /// <summary>The longest burst one message may carry (64 MiB of 4 KiB pages).</summary>
    public const int MaxBurstPages = 1 << 14;

    /// <summary>One burst (or ATS request) in progress. Walked holds the walker's answers from page WalkFirst on.</summary>
    private sealed class DmaJob(IActorRef replyTo, UnitDevice device, ulong iova, int pages, bool write)
    {
        public IActorRef ReplyTo { get; } = replyTo;
        public UnitDevice Device { get; } = device;
        public ulong Iova { get; } = iova;
        public int Pages { get; } = pages;
        public bool Write { get; } = write;
        public IReadOnlyList<ulong>? Values { get; init; }
        public ulong[]? Read { get; init; }
        public long Tag { get; init; }
        public List<AtsEntry>? Ats { get; init; }
        public int Done { get; set; }
        public IReadOnlyList<Translation>? Walked { get; set; }
        public int WalkFirst { get; set; }
        public DomainContext? WalkContext { get; set; }
        public double CostNs { get; set; }
        public LookupCounts Lookups;
        /// <summary>The PASID entry of a PASID burst (SVA); null for a DMA by IOVA.</summary>
        public PasidEntry? Sva { get; init; }
        /// <summary>The PASID the burst's IOTLB and micro-TLB entries are tagged with.</summary>
        public Pasid PasidTag => Sva?.Pasid ?? NoPasid;
    }

    /// <summary>The walk in flight: the burst waiting for it, and the domain (and id) it asked.</summary>
    private sealed record PendingWalk(DmaJob Job, DomainContext Context, ulong Iova);

    private PendingWalk? _walk;
    private readonly Queue<DmaJob> _waiting = new();

    private void OnUnitDma(UnitDma dma)
    {
        var error = CheckBurst(dma.Iova, dma.Pages);
        if (error == Errno.None && dma.Write && (dma.Values is null || dma.Values.Count != dma.Pages)) error = Errno.EINVAL;
        if (error == Errno.None && !_devices.ContainsKey(dma.DeviceName)) error = Errno.ENODEV;
        if (error != Errno.None)
        {
            Sender.Tell(new UnitDmaDone(dma.Tag, new DmaCompleted(error, dma.Iova, 0, [])), Self);
            return;
        }
        Enqueue(new DmaJob(Sender, _devices[dma.DeviceName], dma.Iova.Value, dma.Pages, dma.Write)
        {
            Values = dma.Values,
            Read = dma.Write ? null : new ulong[dma.Pages],
            Tag = dma.Tag,
        });
    }

    private void OnAtsTranslate(AtsTranslate ats)
    {
        var error = CheckBurst(ats.Iova, ats.Pages);
        if (error == Errno.None && !_devices.ContainsKey(ats.DeviceName)) error = Errno.ENODEV;
        if (error != Errno.None)
        {
            Sender.Tell(new AtsTranslation(error, [], null), Self);
            return;
        }
        Enqueue(new DmaJob(Sender, _devices[ats.DeviceName], ats.Iova.Value, ats.Pages, ats.Write) { Ats = new List<AtsEntry>(Math.Min(ats.Pages, 64)) });
    }

    /// <summary>A burst must be page aligned, non-empty, at most <see cref="MaxBurstPages"/> long and must not wrap.</summary>
    internal static Errno CheckBurst(Iova iova, int pages)
    {
        if (pages < 1 || pages > MaxBurstPages || !iova.IsAligned(PageSize.Size4K)) return Errno.EINVAL;
        return AddressFormat.IsValidRange(iova.Value, (ulong)pages << PageSize.BaseShift) ? Errno.None : Errno.EINVAL;
    }

    /// <summary>Runs the burst now, or queues it behind the burst waiting for the walker (per-device order is kept).</summary>
    private void Enqueue(DmaJob job)
    {
        if (_walk is not null || _waiting.Count > 0)
        {
            _waiting.Enqueue(job);
            return;
        }
        if (Run(job)) RunWaiting();
    }

    private void RunWaiting()
    {
        while (_walk is null && _waiting.TryDequeue(out var next))
            if (!Run(next)) return;
    }

    /// <summary>Translates and accesses pages until the burst ends (true) or waits for a walk (false).</summary>
    private bool Run(DmaJob job)
    {
        var device = job.Device;
        var tracing = Context.System.EventStream.HasSubscribers(job.Sva is null ? typeof(DeviceDma) : typeof(DmaAccess));
        var costs = _config.Costs;
        // Fixed for the whole burst (no message is handled while it runs): read once, not per page.
        var micro = device.MicroTlb;
        var need = job.Write ? IommuProt.Write : IommuProt.Read;
        var tag = job.PasidTag;
        while (job.Done < job.Pages)
        {
            var va = job.Iova + ((ulong)job.Done << PageSize.BaseShift);
            var context = job.Sva is { } sva ? SvaContext(sva) : device.Domain;
            if (context is null || context.Type == IommuDomainType.Blocked)
                return Fault(job, Errno.EFAULT, context);

            PhysAddr pageBase;
            ulong pageBytes;
            IommuProt prot;
            if (context.Type == IommuDomainType.Identity)
            {
                // Bypass: the IOVA is the physical address (an identity STE / pass-through context).
                pageBase = new PhysAddr(va);
                pageBytes = PageSize.Size4K.Bytes;
                prot = IommuProt.Read | IommuProt.Write;
                _bypassPages++;
                job.Lookups.BypassPages++;
            }
            else if (job.Walked is { } walked && job.WalkContext == context && job.Done - job.WalkFirst < walked.Count)
            {
                var t = walked[job.Done - job.WalkFirst];
                if (t.Errno != Errno.None) return Fault(job, t.Errno, context);
                job.Lookups.WalkedPages++;
                pageBytes = t.PageSize;
                pageBase = new PhysAddr(t.Phys.Value & ~(pageBytes - 1));
                prot = t.Prot;
            }
            else
            {
                job.Walked = null;
                var iova = new Iova(va);
                IotlbHit hit;
                // A write may use a cached entry only if the leaf is known dirty (or its table does
                // not track): dirty-tracking hardware walks again to set the IOPTE's dirty bit when
                // a write finds a clean entry (the second-stage A/D update of VT-d, AMD's HAD, SMMU
                // HTTU), else the write would go unrecorded.
                if (micro is not null && micro.Lookup(context.Id, tag, iova, out hit) && (hit.Dirty || !job.Write))
                {
                    _microTlbHits++;
                    job.Lookups.MicroTlbHits++;
                    job.CostNs += costs.MicroTlbHitNs;
                }
                else if (_iotlb.Lookup(context.Id, tag, iova, out hit) && (hit.Dirty || !job.Write))
                {
                    job.CostNs += costs.IotlbHitNs;
                    job.Lookups.IotlbHits++;
                    micro?.Fill(context.Id, tag, iova, hit.PageSize, hit.PageBase, hit.Prot, hit.Dirty);
                }
                else
                {
                    StartWalk(job, context, va);
                    return false;
                }
                pageBase = hit.PageBase;
                pageBytes = hit.PageSize.Bytes;
                prot = ToIommuProt(hit.Prot);
                if ((prot & need) == 0) return Fault(job, Errno.EPERM, context);
            }

            var phys = pageBase.Value | (va & (pageBytes - 1));
            if (job.Ats is { } ats)
            {
                ats.Add(new AtsEntry(new Iova(va & ~(pageBytes - 1)), pageBase, pageBytes, prot, context.Id));
                // One ATS completion entry covers the whole (possibly huge) page.
                var pageEnd = (va & ~(pageBytes - 1)) + pageBytes;
                job.Done = (int)Math.Min((ulong)job.Pages, (pageEnd - job.Iova) >> PageSize.BaseShift);
                continue;
            }
            var pfn = new Pfn(phys >> PageSize.BaseShift);
            Errno access;
            if (job.Write)
            {
                access = _memory.WritePage(pfn, job.Values![job.Done]);
            }
            else
            {
                access = _memory.ReadPage(pfn, out var value);
                job.Read![job.Done] = value;
            }
            if (tracing && job.Sva is not null)
                TraceSvaAccess(job, context, va, pfn, access == Errno.None);
            else if (tracing)
                Context.System.EventStream.Publish(new DeviceDma(device.Name, context.Ref, new Iova(va), pfn,
                    _memory.PageGeneration(pfn), access == Errno.None, job.Write, false));
            // The frame is not live memory (a DMA after free): real hardware would complete it; the
            // model refuses it, and PhysicalMemory counts it as a use after free for the oracle.
            if (access != Errno.None) return Finish(job, Errno.EIO, context);
            job.CostNs += costs.MemoryAccessNs;
            _dmaPages++;
            job.Done++;
        }
        return Finish(job, Errno.None, device.Domain);
    }

    /// <summary>Asks the domain to walk from the missing page on; the burst resumes with the answers.</summary>
    private void StartWalk(DmaJob job, DomainContext context, ulong va)
    {
        var pages = Math.Min(job.Pages - job.Done, _config.WalkBatchPages);
        _walk = new PendingWalk(job, context, va);
        context.Ref.Tell(new TranslateRange(new Iova(va), pages, job.Write), Self);
    }

    /// <summary>
    /// The walker's answers: fill the IOTLB (only if the domain still holds the id the walk was
    /// for: a walk answered after the last device left must not fill entries under a freed id),
    /// then resume the burst on them.
    /// </summary>
    private void OnRangeTranslation(RangeTranslation walked)
    {
        if (_walk is not { } walk || !walk.Context.Ref.Equals(Sender) || walked.Iova.Value != walk.Iova) return;
        _walk = null;
        var job = walk.Job;
        var current = _contexts.TryGetValue(walk.Context.Ref, out var c) && c == walk.Context;
        var levels = 0;
        for (var i = 0; i < walked.Pages.Count; i++)
        {
            var t = walked.Pages[i];
            levels += t.Levels;
            if (t.Errno != Errno.None || t.NoCache || !current || !PageSize.TryFromBytes(t.PageSize, out var size)) continue;
            var iova = new Iova(walk.Iova + ((ulong)i << PageSize.BaseShift));
            // The cached dirty state means "a write needs no IOPTE update": the leaf is dirty, or
            // its table does not track (enabling tracking flushes the domain, so no such entry
            // outlives the switch).
            _iotlb.Fill(walk.Context.Id, job.PasidTag, iova, size, new PhysAddr(t.Phys.Value & ~(t.PageSize - 1)), ToIoProt(t.Prot),
                t.Dirty || !t.DirtyTracking);
        }
        _walks += walked.Pages.Count;
        _walkLevels += levels;
        job.CostNs += levels * _config.Costs.WalkLevelNs;
        job.Lookups.WalkLevels += levels;
        job.Walked = walked.Pages;
        job.WalkFirst = job.Done;
        job.WalkContext = walk.Context;
        if (Run(job)) RunWaiting();
    }

    /// <summary>The walk's domain went away (its last device left, or it stopped): the burst faults where it waits.</summary>
    private void AbandonWalk()
    {
        if (_walk is not { } walk) return;
        _walk = null;
        Finish(walk.Job, Errno.EFAULT, walk.Context);
        Self.Tell(ResumeWalker.Instance, Self);
    }

    /// <summary>Resumes the queued bursts after an abandoned walk, outside the handler that abandoned it.</summary>
    private sealed class ResumeWalker
    {
        public static readonly ResumeWalker Instance = new();
    }

    private bool Finish(DmaJob job, Errno errno, DomainContext? context)
    {
        if (job.Sva is not null) return FinishSva(job, errno, context);
        var device = job.Device;
        if (errno is Errno.EFAULT or Errno.EPERM)
            RecordFault(device.Name, new Iova(job.Iova + ((ulong)job.Done << PageSize.BaseShift)), job.Write, errno, context?.Id ?? 0);
        if (errno != Errno.None && Context.System.EventStream.HasSubscribers(typeof(DeviceDmaFault)))
            Context.System.EventStream.Publish(new DeviceDmaFault(device.Name, context?.Ref,
                new Iova(job.Iova + ((ulong)job.Done << PageSize.BaseShift)), job.Write, errno));
        Charge(job.CostNs);
        job.CostNs = 0;
        PublishLookups(job);
        if (job.Ats is { } ats)
        {
            job.ReplyTo.Tell(new AtsTranslation(errno, ats, context?.Ref), Self);
            return true;
        }
        IReadOnlyList<ulong> values = job.Read is { } read
            ? (job.Done == read.Length ? read : new ArraySegment<ulong>(read, 0, job.Done))
            : [];
        job.ReplyTo.Tell(new UnitDmaDone(job.Tag, new DmaCompleted(errno, new Iova(job.Iova), job.Done, values)), Self);
        return true;
    }
}
